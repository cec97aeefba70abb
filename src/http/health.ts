import Database from 'better-sqlite3';
import type { Config } from '../config.ts';
import { type Db, sqlitePath } from '../db/client.ts';
import { storageFaultOf } from '../db/errors.ts';
import type { LimitsStore } from '../limits/store.ts';
import { version } from '../version.ts';
import { jsonResponse } from './json-response.ts';
import type { Route } from './router.ts';

/** How long the readiness probe waits for the database. */
const readinessTimeoutMs = 2000;
/**
 * The SQLite write probe tries this often, this far apart, before it calls
 * the database busy: better-sqlite3 waits synchronously, so the probe never
 * waits inside SQLite (that would stall every request) but between tries.
 */
const writeProbeTries = 10;
const writeProbeIntervalMs = 50;

/** What the probe found: the database takes writes, only reads, or nothing. */
export type DatabaseState = 'ok' | 'read-only' | 'busy' | 'unreachable';

/**
 * Whether the database would take a write, without writing. SQLite: a
 * short-lived connection of its own runs `BEGIN IMMEDIATE`, a write
 * statement that matches no row and `ROLLBACK` (in WAL mode `BEGIN
 * IMMEDIATE` alone succeeds even on a read-only file; the statement is what
 * asks for write access). PostgreSQL: `SHOW transaction_read_only`, which is
 * `on` on a hot standby and under `default_transaction_read_only`.
 */
async function writeProbe(config: Config, db: Db): Promise<DatabaseState> {
  if (config.provider === 'postgresql') {
    const rows = await db.$queryRawUnsafe<{ transaction_read_only: string }[]>('SHOW transaction_read_only');
    return rows[0]?.transaction_read_only === 'off' ? 'ok' : 'read-only';
  }
  const probe = new Database(sqlitePath(config.databaseUrl), { fileMustExist: true, timeout: 0 });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        probe.exec('BEGIN IMMEDIATE; DELETE FROM "_prisma_migrations" WHERE 0; ROLLBACK');
        return 'ok';
      } catch (error) {
        if (probe.inTransaction) probe.exec('ROLLBACK');
        const fault = storageFaultOf(error)?.fault;
        if (fault === 'readOnly') return 'read-only';
        if (fault !== 'busy') throw error;
        if (attempt === writeProbeTries) return 'busy';
      }
      await new Promise((resolve) => setTimeout(resolve, writeProbeIntervalMs));
    }
  } finally {
    probe.close();
  }
}

async function databaseState(config: Config, db: Db): Promise<DatabaseState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DatabaseState>((resolve) => {
    timer = setTimeout(() => resolve('unreachable'), readinessTimeoutMs);
  });
  const probe = async (): Promise<DatabaseState> => {
    await db.$queryRawUnsafe('SELECT 1');
    return writeProbe(config, db);
  };
  try {
    return await Promise.race([probe(), timeout]);
  } catch {
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

export interface HealthOptions {
  /** Whether the server is draining before it stops: `/readyz` then answers 503 `draining`. @default never */
  isDraining?: () => boolean;
  /** Where limits count, reported as `limits`; its state never makes the server unready. */
  limits?: LimitsStore;
}

/**
 * `GET /healthz`: the process is up. `GET /readyz`: the database answers
 * reads and would take a write, and the server is not draining; 503
 * otherwise (`database`: `read-only`, `busy` or `unreachable`; `status`:
 * `draining`), so a load balancer stops sending traffic here. Both say
 * whether API contracts are published (`viewApis`) for operators to check.
 * `/readyz` also says where limits count (`limits`: `store` `memory` or
 * `redis`, `state` `per-instance`, `shared` or `fallback`); Redis being down
 * leaves the server ready, since it keeps serving with limits per instance.
 */
export function healthRoutes(
  config: Config,
  db: Db,
  { isDraining = () => false, limits }: HealthOptions = {},
): Route[] {
  const noStore = { 'Cache-Control': 'no-store' };
  return [
    {
      path: '/healthz',
      methods: { GET: () => jsonResponse({ status: 'ok', version }, { headers: noStore }) },
      docs: {
        GET: {
          operationId: 'liveness',
          tags: ['Operations'],
          summary: 'The process is up',
          responses: {
            '200': { description: 'Alive.', content: { 'application/json': { schema: { type: 'object' } } } },
          },
        },
      },
    },
    {
      path: '/readyz',
      methods: {
        GET: async () => {
          const database = await databaseState(config, db);
          const draining = isDraining();
          const ready = database === 'ok' && !draining;
          return jsonResponse(
            {
              status: draining ? 'draining' : ready ? 'ready' : 'unavailable',
              database,
              provider: config.provider,
              ...(limits ? { limits: { store: limits.store, state: limits.state() } } : {}),
              viewApis: config.viewApis,
              version,
            },
            { status: ready ? 200 : 503, headers: noStore },
          );
        },
      },
      docs: {
        GET: {
          operationId: 'readiness',
          tags: ['Operations'],
          summary:
            'The database answers and takes writes, and the server is not draining; also reports whether API contracts are published (viewApis) and where limits count (limits: Redis down leaves the server ready)',
          responses: {
            '200': { description: 'Ready.', content: { 'application/json': { schema: { type: 'object' } } } },
            '503': {
              description: 'The database is unreachable, read-only or locked, or the server is draining.',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
    },
  ];
}
