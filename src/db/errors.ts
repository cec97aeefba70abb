/** Prisma's error code for a unique constraint violation. */
const uniqueViolation = 'P2002';

/** Whether a Prisma error is a unique constraint violation. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === uniqueViolation;
}

/** Prisma's codes for a database it cannot reach or whose pool is exhausted. */
const unavailableCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const unavailableKinds = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'DatabaseDoesNotExist',
]);
const unavailableMessage =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|connection timeout|timeout exceeded when trying to connect|Can't reach database|terminating connection|does not allow connections|not currently accepting connections|database .* does not exist/i;

/**
 * Whether an error means the database is down or unreachable (the request
 * may be retried: 503), rather than a fault in the request or the code.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (
    let e = error as { code?: unknown; cause?: unknown; message?: unknown; kind?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (typeof e.code === 'string' && unavailableCodes.has(e.code)) return true;
    if (typeof e.kind === 'string' && unavailableKinds.has(e.kind)) return true;
    if (typeof e.message === 'string' && unavailableMessage.test(e.message)) return true;
    e = e.cause as typeof e;
  }
  return false;
}
