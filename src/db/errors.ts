/** Prisma's error code for a unique constraint violation. */
const uniqueViolation = 'P2002';

/** Whether a Prisma error is a unique constraint violation. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === uniqueViolation;
}
