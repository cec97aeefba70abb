/**
 * What the request budget costs where it counts: requests per second and
 * p50/p99 of an anonymous `{ version }` (SQLite, LOG_LEVEL=warn) with the
 * budget off, in memory, in Redis (shared), and with Redis configured but
 * down (the in-memory fallback): four servers side by side, measured in
 * interleaved slices, medians reported. The budget is large enough never to
 * refuse: the cost of counting is measured, not 429s.
 *
 *   npm run bench:limits   (BENCH_ROUNDS=5, BENCH_SLICE_SECONDS=3; Redis at BENCH_REDIS_URL or 127.0.0.1:6379)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from '../test/support/process.ts';
import { dropKeys, uniquePrefix } from '../test/support/redis.ts';
import { type LoadResult, machine, measure, printTable } from './lib/load.ts';

const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
/** Nothing listens there: the server counts in memory, having tried Redis. */
const downRedisUrl = 'redis://127.0.0.1:1';
const admin = { ADMIN_USERNAME: 'bench.admin', ADMIN_PASSWORD: 'bench admin password' };

const modes: { name: string; env: Record<string, string> }[] = [
  { name: 'budget off', env: { RATE_LIMIT_PER_MINUTE: '0' } },
  { name: 'budget in memory', env: { RATE_LIMIT_PER_MINUTE: '1000000' } },
  { name: 'budget in Redis (shared)', env: { RATE_LIMIT_PER_MINUTE: '1000000', REDIS_URL: redisUrl } },
  { name: 'budget, Redis down (memory fallback)', env: { RATE_LIMIT_PER_MINUTE: '1000000', REDIS_URL: downRedisUrl } },
];

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const sliceSeconds = Number(process.env.BENCH_SLICE_SECONDS ?? 3);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

// Every server at once, measured in interleaved slices: a machine busy with something else slows
// every mode alike instead of whichever ran then.
const dir = mkdtempSync(join(tmpdir(), 'grc-bench-limits-'));
const prefix = uniquePrefix();
const servers = [];
for (const [index, mode] of modes.entries()) {
  servers.push(
    await startServerProcess(
      {
        DATABASE_URL: `file:${join(dir, `bench-${index}.db`)}`,
        JWT_KEY_FILE: join(dir, `keys-${index}.json`),
        LOG_LEVEL: 'warn',
        REDIS_KEY_PREFIX: prefix,
        ...admin,
        ...mode.env,
      },
      30_000,
      false,
    ),
  );
}
const slices: LoadResult[][] = modes.map(() => []);
try {
  for (let round = 0; round < rounds; round++) {
    for (const [index, mode] of modes.entries()) {
      const server = servers[index];
      if (!server) continue;
      slices[index]?.push(
        await measure({
          name: mode.name,
          url: `${server.url}/graphql`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ version }' }),
          seconds: sliceSeconds,
        }),
      );
    }
  }
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  await dropKeys(redisUrl, prefix);
  rmSync(dir, { recursive: true, force: true });
}
const rows = modes.map((mode, index) => {
  const own = slices[index] ?? [];
  return {
    name: mode.name,
    requestsPerSecond: median(own.map((r) => r.requestsPerSecond)),
    p50Ms: median(own.map((r) => r.p50Ms)),
    p99Ms: median(own.map((r) => r.p99Ms)),
    requests: own.reduce((sum, r) => sum + r.requests, 0),
    errors: own.reduce((sum, r) => sum + r.errors, 0),
    non2xx: own.reduce((sum, r) => sum + r.non2xx, 0),
  };
});

printTable(rows);
console.log(machine());
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
const file = new URL(`results/limits-${new Date().toISOString().slice(0, 10)}.json`, import.meta.url);
writeFileSync(file, `${JSON.stringify({ machine: machine(), rows }, null, 2)}\n`);
const failed = rows.filter((r) => r.errors > 0 || r.non2xx > 0);
if (failed.length > 0) {
  console.error('Some requests failed:', failed.map((r) => r.name).join(', '));
  process.exitCode = 1;
}
