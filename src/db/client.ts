import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PrismaClient as PostgresClient } from '../generated/postgresql/client.ts';
import { PrismaClient } from '../generated/sqlite/client.ts';
import { type Provider, providerOf } from './provider.ts';
import { withStatementCache } from './sqlite-statements.ts';

/**
 * The client type the code is written against. Both providers' clients are
 * generated from one model, so the PostgreSQL client has the same surface.
 */
export type Db = PrismaClient;

/** Resolves a `file:` URL to an absolute path (relative to the working directory). */
export function sqlitePath(url: string): string {
  return resolve(url.slice('file:'.length).split('?')[0] ?? '');
}

/**
 * How long a write waits for a lock another connection holds before it
 * fails (DATABASE_BUSY): PostgreSQL's lock_timeout; on SQLite, `transact`'s
 * retries of a short busy timeout.
 */
export const lockWaitMs = 5000;

/** How long one SQLite statement waits for a lock (synchronously) before `transact` tries again. */
export const sqliteBusyStepMs = 200;

export interface DbOptions {
  /** Largest number of PostgreSQL connections in the pool. @default 10 */
  poolSize?: number;
  /** How long a PostgreSQL connection attempt may take, in ms. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * PostgreSQL's statement_timeout and idle_in_transaction_session_timeout, in ms: the
   * server itself ends a statement, or a transaction left idle, that outlives its request
   * (see `transactionLimits`). @default none
   */
  statementTimeoutMs?: number;
  /** Called with each SQL statement sent (tests count them); off when unset. */
  onQuery?: (sql: string) => void;
}

/**
 * Makes the Prisma client for a database URL, with the driver adapter of
 * its provider. For PostgreSQL the connection pool is ours (and answered),
 * so that its use can be measured.
 */
export function createDb(url: string, options: DbOptions = {}): { db: Db; provider: Provider; pool?: pg.Pool } {
  const provider = providerOf(url);
  if (provider === 'sqlite') {
    const path = sqlitePath(url);
    // The folder holds password hashes and signing keys: owner only.
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // better-sqlite3 waits for another process's lock synchronously, blocking the event loop:
    // only a moment here; `transact` tries again asynchronously for up to `lockWaitMs`.
    const adapter = withStatementCache(new PrismaBetterSqlite3({ url: `file:${path}`, timeout: sqliteBusyStepMs }));
    const db = withQueryListener(new PrismaClient({ adapter, ...queryLog(options) }), options);
    return { db: withSqliteReader(db, path), provider };
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    // A statement waiting this long for a lock fails with 55P03 rather than hanging until the request times out.
    lock_timeout: lockWaitMs,
    ...(options.statementTimeoutMs
      ? {
          statement_timeout: options.statementTimeoutMs,
          idle_in_transaction_session_timeout: options.statementTimeoutMs,
        }
      : {}),
  });
  // A connection dropped by the server while idle must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  const db = new PostgresClient({ adapter, ...queryLog(options) }) as unknown as Db;
  drivers.set(db, { provider: 'postgresql', pool });
  return { db: withQueryListener(db, options), provider, pool };
}

/**
 * The driver beneath a client, for the reads that skip Prisma's row mapping (the issue
 * streams, `src/issues/rows.ts`): on SQLite a read-only connection of their own on the same
 * file, opened on first use and closed with the client; on PostgreSQL the client's own pool,
 * so its size, statement_timeout and lock_timeout hold for them too.
 */
export type Driver =
  | { provider: 'sqlite'; connection(): Database.Database }
  | { provider: 'postgresql'; pool: pg.Pool };

const drivers = new WeakMap<Db, Driver>();

/** The driver beneath a client made by {@link createDb}. */
export function driverOf(db: Db): Driver {
  const driver = drivers.get(db);
  if (!driver) throw new TypeError('driverOf: not a client made by createDb');
  return driver;
}

function withSqliteReader(db: Db, path: string): Db {
  let connection: Database.Database | undefined;
  drivers.set(db, {
    provider: 'sqlite',
    connection: () => {
      connection ??= new Database(path, { readonly: true, fileMustExist: true, timeout: sqliteBusyStepMs });
      return connection;
    },
  });
  const disconnect = db.$disconnect.bind(db);
  db.$disconnect = () => {
    connection?.close();
    connection = undefined;
    return disconnect();
  };
  return db;
}

function queryLog(options: DbOptions) {
  return options.onQuery ? { log: [{ emit: 'event' as const, level: 'query' as const }] } : {};
}

function withQueryListener(db: Db, { onQuery }: DbOptions): Db {
  if (onQuery)
    (db as unknown as { $on(e: 'query', f: (e: { query: string }) => void): void }).$on('query', (e) =>
      onQuery(e.query),
    );
  return db;
}
