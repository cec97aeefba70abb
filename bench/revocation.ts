/**
 * The stale window of a revocation across instances: two server processes
 * on one PostgreSQL database; for each of BENCH_REVOCATIONS service accounts
 * (default 200), revoke it on A and time, from A's answer, until B refuses
 * the token. Once with LISTEN/NOTIFY (REVOCATION_NOTIFY=true) and once with
 * the poll alone; prints p50/p99/max of each.
 *
 *   npx tsx bench/revocation.ts     (BENCH_DATABASE_URL, BENCH_REVOCATIONS)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from '../test/support/process.ts';
import { login, machine, postgresAdmin, temporaryPostgresDatabase } from './lib/load.ts';

const count = Number(process.env.BENCH_REVOCATIONS ?? 200);
const admin = { ADMIN_USERNAME: 'bench.admin', ADMIN_PASSWORD: 'bench admin password' };

async function graphql(url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return response.json() as Promise<{ data?: Record<string, { token: string; serviceAccount: { id: string } }> }>;
}

const status = async (url: string, token: string) => {
  const response = await fetch(`${url}/api/issues/getAll?take=1`, { headers: { authorization: `Bearer ${token}` } });
  await response.body?.cancel();
  return response.status;
};

async function measure(notify: boolean): Promise<number[]> {
  const database = await temporaryPostgresDatabase(postgresAdmin, 'grc_bench_revocation');
  const keys = mkdtempSync(join(tmpdir(), 'grc-bench-revocation-'));
  const env = {
    DATABASE_URL: database.url,
    // One key file for both instances: a token of one verifies on the other.
    JWT_KEY_FILE: join(keys, 'jwt-keys.json'),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
    REVOCATION_NOTIFY: String(notify),
    ...admin,
  };
  const a = await startServerProcess(env, 60_000, false);
  const b = await startServerProcess(env, 60_000, false);
  try {
    const token = await login(a.url, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD);
    const windows: number[] = [];
    for (let i = 0; i < count; i++) {
      const created = await graphql(
        a.url,
        token,
        'mutation { createServiceAccount(input: { durationDays: 1, purpose: "Revocation bench" }) { token serviceAccount { id } } }',
      );
      const account = created.data?.createServiceAccount;
      if (!account) throw new Error(`could not create an account: ${JSON.stringify(created)}`);
      if ((await status(b.url, account.token)) !== 200) throw new Error('B refused a fresh token');
      await graphql(a.url, token, 'mutation ($id: ID!) { revokeServiceAccount(id: $id) { id } }', {
        id: account.serviceAccount.id,
      });
      const revokedAt = performance.now();
      const deadline = revokedAt + 10_000;
      while ((await status(b.url, account.token)) === 200) {
        if (performance.now() > deadline) throw new Error('B still accepts the token 10 s after its revocation');
      }
      windows.push(performance.now() - revokedAt);
    }
    return windows;
  } finally {
    await b.stop();
    await a.stop();
    await database.drop();
    rmSync(keys, { recursive: true, force: true });
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

const results: Record<string, object> = {};
for (const notify of [true, false]) {
  const windows = (await measure(notify)).sort((x, y) => x - y);
  results[notify ? 'LISTEN/NOTIFY' : 'poll alone'] = {
    revocations: windows.length,
    p50Ms: +percentile(windows, 50).toFixed(1),
    p99Ms: +percentile(windows, 99).toFixed(1),
    maxMs: +(windows.at(-1) ?? Number.NaN).toFixed(1),
  };
}
console.table(results);
console.log(machine());
