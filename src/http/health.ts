import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { version } from '../version.ts';
import type { Route } from './router.ts';

/** How long the readiness probe waits for the database. */
const readinessTimeoutMs = 2000;

async function databaseReachable(db: Db): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), readinessTimeoutMs);
  });
  try {
    return await Promise.race([db.$queryRawUnsafe('SELECT 1').then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /healthz`: the process is up. `GET /readyz`: the database answers;
 * 503 otherwise, so a load balancer stops sending traffic here. Both say
 * whether API contracts are published (`viewApis`) for operators to check.
 */
export function healthRoutes(config: Config, db: Db): Route[] {
  const noStore = { 'Cache-Control': 'no-store' };
  return [
    {
      path: '/healthz',
      methods: { GET: () => Response.json({ status: 'ok', version }, { headers: noStore }) },
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
          const ready = await databaseReachable(db);
          return Response.json(
            {
              status: ready ? 'ready' : 'unavailable',
              database: ready ? 'ok' : 'unreachable',
              provider: config.provider,
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
          summary: 'The database answers; also reports whether API contracts are published (viewApis)',
          responses: {
            '200': { description: 'Ready.', content: { 'application/json': { schema: { type: 'object' } } } },
            '503': {
              description: 'The database is unreachable.',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
    },
  ];
}
