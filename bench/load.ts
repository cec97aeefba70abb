/**
 * Load test: mixed traffic (issue reads, reads by id, writes, REST pages,
 * getAll, logins, service-account calls) at a nominal rate for a bounded
 * time, against one instance and then two instances on one PostgreSQL
 * database. Reports throughput, p50/p99 latency, errors and each server's
 * memory before and after.
 *
 *   npm run bench:load      (BENCH_LOAD_SECONDS=60, BENCH_RATE=100 requests/s in all)
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createDb } from '../src/db/client.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { type ServerProcess, startServerProcess } from '../test/support/process.ts';
import { login, machine, postgresAdmin, temporaryPostgresDatabase } from './lib/load.ts';

const seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const rate = Number(process.env.BENCH_RATE ?? 100);
const admin = { ADMIN_USERNAME: 'load.admin', ADMIN_PASSWORD: 'load admin password' };

const rssMiB = (server: ServerProcess) =>
  Math.round(
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 102.4,
  ) / 10;

async function post(url: string, path: string, body: unknown, token?: string) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return response.json();
}

/** The mix one connection cycles through: mostly reads, some writes, a few heavy calls. */
function mix(tokens: { session: string; manager: string; script: string }) {
  const gql = (query: string, token: string, variables?: unknown) => ({
    method: 'POST' as const,
    path: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const rest = (path: string, token: string) => ({
    method: 'GET' as const,
    path,
    headers: { authorization: `Bearer ${token}` },
  });
  const page = gql(
    '{ issues(first: 20, orderBy: { field: DUE_DATE }) { edges { node { id title status dueDate issueOwner { userName } } } } }',
    tokens.script,
  );
  const byId = gql('{ issue(id: "7") { id title severityLevel createdBy { userName } } }', tokens.session);
  const write = gql(
    'mutation { createIssue(input: { title: "Load test finding", severityLevel: LOW }) { id } }',
    tokens.manager,
  );
  return [
    page,
    byId,
    page,
    write,
    rest('/api/issues/getAll?skip=0&take=100', tokens.script),
    page,
    byId,
    gql('{ me { kind roles } }', tokens.script),
    page,
    write,
    byId,
    page,
    rest('/api/issues/getAll', tokens.script),
    page,
    write,
    byId,
    page,
    {
      method: 'POST' as const,
      path: '/api/authentication/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userName: 'load.manager', password: 'load manager password' }),
    },
    page,
    rest('/api/issues/getAll?skip=100&take=100', tokens.script),
  ];
}

function run(url: string, requests: ReturnType<typeof mix>, requestsPerSecond: number) {
  return autocannon({ url, connections: 8, duration: seconds, overallRate: requestsPerSecond, requests });
}

async function main() {
  const database = await temporaryPostgresDatabase(postgresAdmin, 'grc_load');
  const servers: ServerProcess[] = [];
  try {
    await applyMigrations(database.url);
    const { db } = createDb(database.url);
    await db.issue.createMany({
      data: Array.from({ length: 2000 }, (_, i) => ({
        title: `Seeded finding ${i + 1}`,
        dueDate: i % 5 ? new Date(Date.UTC(2027, 0, 1 + (i % 300))) : null,
      })),
    });
    await db.$disconnect();
    // Both instances sign and verify with the same keys, as behind a real load balancer.
    const keyFile = join(mkdtempSync(join(tmpdir(), 'grc-load-')), 'keys.json');
    const env = {
      DATABASE_URL: database.url,
      JWT_KEY_FILE: keyFile,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      ...admin,
    };
    const a = await startServerProcess(env, 60_000, false);
    servers.push(a);
    const session = await login(a.url, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD);
    await post(
      a.url,
      '/graphql',
      {
        query:
          'mutation { createUser(input: { userName: "load.manager", password: "load manager password", roles: [ISSUE_MANAGER, AUDITOR] }) { id } }',
      },
      session,
    );
    const manager = await login(a.url, 'load.manager', 'load manager password');
    const script = (
      await post(
        a.url,
        '/graphql',
        { query: 'mutation { createServiceAccount(input: { durationDays: 1, purpose: "Load test" }) { token } }' },
        session,
      )
    ).data.createServiceAccount.token as string;
    const requests = mix({ session, manager, script });

    const summarize = (name: string, results: autocannon.Result[], memory: Record<string, number>) => {
      const total = results.reduce((n, r) => n + r.requests.total, 0);
      return {
        name,
        seconds,
        nominalRate: rate,
        throughput: Math.round(total / seconds),
        p50Ms: Math.max(...results.map((r) => r.latency.p50)),
        p99Ms: Math.max(...results.map((r) => r.latency.p99)),
        requests: total,
        errors: results.reduce((n, r) => n + r.errors, 0),
        non2xx: results.reduce((n, r) => n + r.non2xx, 0),
        ...memory,
      };
    };

    const beforeA = rssMiB(a);
    const one = summarize('one instance', [await run(a.url, requests, rate)], {
      rssBeforeMiB: beforeA,
      rssAfterMiB: rssMiB(a),
    });
    console.table([one]);

    const b = await startServerProcess(env, 60_000, false);
    servers.push(b);
    const before = { a: rssMiB(a), b: rssMiB(b) };
    const results = await Promise.all([run(a.url, requests, rate / 2), run(b.url, requests, rate / 2)]);
    const two = summarize('two instances', results, {
      rssBeforeMiB: Math.round((before.a + before.b) * 10) / 10,
      rssAfterMiB: Math.round((rssMiB(a) + rssMiB(b)) * 10) / 10,
    });
    console.table([two]);
    console.log(machine());
    mkdirSync(new URL('results/', import.meta.url), { recursive: true });
    writeFileSync(
      new URL(`results/load-${new Date().toISOString().slice(0, 10)}.json`, import.meta.url),
      `${JSON.stringify({ machine: machine(), runs: [one, two] }, null, 2)}\n`,
    );
    if (one.errors || one.non2xx || two.errors || two.non2xx) {
      console.error('The load test saw failed requests.');
      process.exitCode = 1;
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await database.drop();
  }
}

await main();
