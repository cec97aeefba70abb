/** Prisma's error code for a unique constraint violation. */
const uniqueViolation = 'P2002';

/** Whether a Prisma error is a unique constraint violation. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === uniqueViolation;
}

/**
 * Prisma's codes for a database it cannot reach or whose pool is exhausted, and P2028: an
 * interactive transaction that could not start in time (no connection) or expired, and so was
 * rolled back. Either way nothing was done and a retry may succeed.
 */
const unavailableCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
const unavailableKinds = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'DatabaseDoesNotExist',
]);
const unavailableMessage =
  /Unable to start a transaction in the given time|encountered a connection error and is not queryable|ECONNREFUSED|ECONNRESET|SQLITE_CANTOPEN|unable to open database file|ETIMEDOUT|Connection terminated|connection timeout|timeout exceeded when trying to connect|Can't reach database|terminating connection|does not allow connections|not currently accepting connections|database .* does not exist/i;

/**
 * PostgreSQL's SQLSTATEs of a server that cannot serve now: 57P01 admin_shutdown, 57P02
 * crash_shutdown, 57P03 cannot_connect_now (starting up, in recovery), and class 08
 * connection exceptions.
 */
const unavailableStates = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);

/**
 * The same conditions in a driver's own error (the issue streams read with pg itself,
 * src/issues/rows.ts), where Prisma's pg adapter would have made them the kinds above: its
 * socket errors (DatabaseNotReachable, ConnectionClosed, SocketTimeout), 53300
 * TooManyConnections and 3D000 DatabaseDoesNotExist.
 */
const unavailableDriverCodes = new Set(['ENOTFOUND', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '53300', '3D000']);

/**
 * Whether an error means the database is down or unreachable (the request
 * may be retried: 503), rather than a fault in the request or the code.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const e of causesOf(error)) {
    if (typeof e.code === 'string' && unavailableCodes.has(e.code)) return true;
    if (typeof e.kind === 'string' && unavailableKinds.has(e.kind)) return true;
    if (typeof e.message === 'string' && unavailableMessage.test(e.message)) return true;
  }
  for (const { code } of codesOf(error))
    if (unavailableStates.has(code) || unavailableDriverCodes.has(code)) return true;
  return false;
}

/** Whether PostgreSQL cancelled a statement for outliving statement_timeout (57014): not done. */
export function isStatementTimeout(error: unknown): boolean {
  for (const { code, message } of codesOf(error))
    if (code === '57014' && typeof message === 'string' && /statement timeout/i.test(message)) return true;
  return false;
}

/**
 * Whether a transaction lost a serialization race or a deadlock and was rolled back, so that it
 * may simply run again: Prisma's P2034, the adapters' `TransactionWriteConflict`, PostgreSQL's
 * 40001 serialization_failure or 40P01 deadlock_detected.
 */
export function isSerializationFailure(error: unknown): boolean {
  for (const e of causesOf(error)) {
    if (e.code === 'P2034' || e.kind === 'TransactionWriteConflict') return true;
    if (e.originalCode === '40001' || e.originalCode === '40P01') return true;
  }
  return false;
}

interface Carrier {
  code?: unknown;
  kind?: unknown;
  originalCode?: unknown;
  originalMessage?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
}

/** An error and what it carries: its causes and Prisma's driver adapter error, breadth first. */
function* causesOf(error: unknown): Generator<Carrier> {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.size < 10) {
    const e = queue.shift() as Carrier | undefined;
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    yield e;
    queue.push(e.cause, e.meta?.driverAdapterError);
  }
}

/** The codes an error carries, each with its message: the driver's (`originalCode`), then its own. */
function* codesOf(error: unknown): Generator<{ code: string; message: unknown }> {
  for (const e of causesOf(error)) {
    if (typeof e.originalCode === 'string') yield { code: e.originalCode, message: e.originalMessage };
    if (typeof e.code === 'string') yield { code: e.code, message: e.message };
  }
}

/**
 * A database that is there but cannot take a write: its storage is full,
 * it is read-only, or a lock held by someone else outlasted our wait.
 */
export type StorageFault = 'full' | 'readOnly' | 'busy';

/**
 * The driver codes of each fault. SQLite's are names (better-sqlite3 gives
 * extended ones such as SQLITE_READONLY_DBMOVED or SQLITE_BUSY_SNAPSHOT,
 * matched by prefix); PostgreSQL's are SQLSTATEs: 53100 disk_full,
 * 25006 read_only_sql_transaction (a hot standby, or
 * default_transaction_read_only), 55P03 lock_not_available (lock_timeout).
 */
const sqliteFaults: [prefix: string, fault: StorageFault][] = [
  ['SQLITE_FULL', 'full'],
  ['SQLITE_READONLY', 'readOnly'],
  ['SQLITE_BUSY', 'busy'],
  ['SQLITE_LOCKED', 'busy'],
];
const postgresFaults: Record<string, StorageFault> = { '53100': 'full', '25006': 'readOnly', '55P03': 'busy' };

function faultOfCode(code: string, message: unknown): StorageFault | undefined {
  const sqlite = sqliteFaults.find(([prefix]) => code.startsWith(prefix));
  if (sqlite) return sqlite[1];
  if (code in postgresFaults) return postgresFaults[code];
  // query_canceled is also statement_timeout or a cancel; only a lock timeout is "busy".
  if (code === '57014' && typeof message === 'string' && /lock timeout/i.test(message)) return 'busy';
  return undefined;
}

/**
 * Which storage fault an error reports, if any. Prisma carries the
 * driver's code in `meta.driverAdapterError.cause.originalCode` (reproduced
 * with both adapters: SQLITE_BUSY arrives as P1008 "SocketTimeout",
 * SQLITE_FULL and SQLITE_READONLY as P2039 or P2010, PostgreSQL's as
 * P2010 or P2039 of kind "postgres"); a driver error (better-sqlite3, pg)
 * carries it in `code`.
 */
export function storageFaultOf(error: unknown): { fault: StorageFault; cause: string } | undefined {
  for (const { code, message } of codesOf(error)) {
    const fault = faultOfCode(code, message);
    if (fault) return { fault, cause: typeof message === 'string' ? `${code}: ${message}` : code };
  }
  return undefined;
}
