import type { Prisma } from '../db/types.ts';
import { BadUserInputError } from '../errors.ts';

/** What GraphQL asks of a row (Pothos's `query`), so that a mutation reads its row once. */
export type ServiceAccountQuery = { include?: Prisma.ServiceAccountInclude; select?: Prisma.ServiceAccountSelect };

/** A service-account id from input; BAD_USER_INPUT otherwise. */
export function parseAccountId(value: unknown): number {
  const text = String(value ?? '').trim();
  if (!/^[1-9]\d{0,9}$/.test(text) || Number(text) > 2_147_483_647) {
    throw new BadUserInputError('id: must be a positive integer service-account id', 'id');
  }
  return Number(text);
}
