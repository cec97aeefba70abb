/**
 * What authentication costs: requests per second of an unauthenticated
 * trivial query, of `me` with a user session token, and of `me` with a
 * service-account token, on one server (SQLite, LOG_LEVEL=warn).
 *
 *   npm run bench:auth            (BENCH_SECONDS=10 per measurement by default)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from '../test/support/process.ts';
import { login, machine, measure, printTable } from './lib/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'grc-bench-auth-'));
const admin = { ADMIN_USERNAME: 'bench.admin', ADMIN_PASSWORD: 'bench admin password' };
const server = await startServerProcess(
  {
    DATABASE_URL: `file:${join(dir, 'bench.db')}`,
    JWT_KEY_FILE: join(dir, 'keys.json'),
    LOG_LEVEL: 'warn',
    // Throughput is measured here, not the rate limiter.
    RATE_LIMIT_PER_MINUTE: '0',
    ...admin,
  },
  30_000,
  false,
);

try {
  const userToken = await login(server.url, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD);
  const created = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${userToken}` },
    body: JSON.stringify({
      query: 'mutation { createServiceAccount(input: { durationDays: 1, purpose: "Benchmark" }) { token } }',
    }),
  });
  const serviceToken = (await created.json()).data.createServiceAccount.token as string;

  const graphql = (query: string, token?: string) => ({
    url: `${server.url}/graphql`,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  const anonymous = await measure({ name: '{ version } anonymous', ...graphql('{ version }') });
  const user = await measure({ name: '{ me } user session token', ...graphql('{ me { userName roles } }', userToken) });
  const service = await measure({
    name: '{ me } service-account token',
    ...graphql('{ me { userName roles } }', serviceToken),
  });
  const rows = [anonymous, user, service];
  printTable(rows);
  const ratios = {
    authenticatedOverAnonymous: +(user.requestsPerSecond / anonymous.requestsPerSecond).toFixed(3),
    serviceAccountOverUser: +(service.requestsPerSecond / user.requestsPerSecond).toFixed(3),
  };
  console.log(ratios, machine());
  mkdirSync(new URL('results/', import.meta.url), { recursive: true });
  const file = new URL(`results/auth-${new Date().toISOString().slice(0, 10)}.json`, import.meta.url);
  writeFileSync(file, `${JSON.stringify({ machine: machine(), rows, ratios }, null, 2)}\n`);
  const failed = rows.filter((r) => r.errors > 0 || r.non2xx > 0);
  if (failed.length > 0) {
    console.error('Some requests failed:', failed.map((r) => r.name).join(', '));
    process.exitCode = 1;
  }
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
