/**
 * The issues API on 100,000 issues, beside a plain node:http baseline:
 * - requests per second of GraphQL `issues(first: 50)` (baseline: 50 rows as JSON);
 * - `GET /api/issues/getAll`: time to first and last byte, and the server's
 *   peak memory while it streams (baseline: the same array streamed by hand);
 * - cursor pagination: page 1 against page 10,000 (first: 10), per ordering.
 * On SQLite, and on PostgreSQL when it is reachable (BENCH_DATABASE_URL or
 * the local server).
 *
 *   npm run bench:issues          (BENCH_SECONDS=10 per load measurement; BENCH_ROWS=100000)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDb } from '../src/db/client.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import type { Provider } from '../src/db/provider.ts';
import { IssueSeverity, IssueStatus } from '../src/db/types.ts';
import { severityRank } from '../src/issues/severity.ts';
import { startServerProcess } from '../test/support/process.ts';
import { login, machine, measure, printTable, temporaryPostgresDatabase } from './lib/load.ts';

const rows = Number(process.env.BENCH_ROWS ?? 100_000);
const postgresAdmin = process.env.BENCH_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
const admin = { ADMIN_USERNAME: 'bench.admin', ADMIN_PASSWORD: 'bench admin password' };

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresAdmin, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    return true;
  } catch {
    console.log(`PostgreSQL not reachable at ${postgresAdmin}: PostgreSQL run skipped.`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A fresh database of the provider, and how to drop it. */
async function freshDatabase(provider: Provider, dir: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (provider === 'sqlite') return { url: `file:${join(dir, 'bench.db')}`, drop: async () => {} };
  return temporaryPostgresDatabase(postgresAdmin, 'grc_bench');
}

async function fill(url: string): Promise<void> {
  await applyMigrations(url);
  const { db } = createDb(url);
  const severities = Object.values(IssueSeverity);
  const statuses = Object.values(IssueStatus);
  const day = 86_400_000;
  try {
    for (let start = 0; start < rows; start += 2000) {
      const batch = Array.from({ length: Math.min(2000, rows - start) }, (_, k) => {
        const i = start + k;
        const severityLevel = severities[i % severities.length] as IssueSeverity;
        return {
          title: `Finding ${i + 1}: access review overdue for system ${i % 97}`,
          description: `Generated for the benchmark (${i + 1}).`,
          severityLevel,
          severityRank: severityRank[severityLevel],
          status: statuses[i % statuses.length] as IssueStatus,
          dueDate: i % 10 === 0 ? null : new Date(Date.UTC(2027, 0, 1) + (i % 365) * day),
        };
      });
      await db.issue.createMany({ data: batch });
    }
  } finally {
    await db.$disconnect();
  }
}

/** Resident memory of a process in MiB, from /proc (Linux). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Fetches a streamed array, timing first and last byte and sampling the server's memory meanwhile. */
async function download(url: string, pid: number, headers: Record<string, string> = {}) {
  const before = rssMiB(pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid));
  }, 20);
  const started = performance.now();
  const response = await fetch(url, { headers });
  const reader = response.body?.getReader();
  let firstByte = 0;
  const parts: Uint8Array[] = [];
  for (;;) {
    const { done, value } = (await reader?.read()) ?? { done: true, value: undefined };
    if (done) break;
    if (!firstByte) firstByte = performance.now() - started;
    parts.push(value);
  }
  const lastByte = performance.now() - started;
  clearInterval(sampler);
  const body = Buffer.concat(parts);
  const count = (JSON.parse(body.toString('utf8')) as unknown[]).length;
  return {
    status: response.status,
    firstByteMs: firstByte,
    lastByteMs: lastByte,
    bytes: body.length,
    count,
    rssBeforeMiB: before,
    rssPeakMiB: peak,
  };
}

async function median<T extends Record<string, number>>(runs: number, work: () => Promise<T>): Promise<T> {
  const results: T[] = [];
  for (let i = 0; i < runs; i++) results.push(await work());
  const keys = Object.keys(results[0] ?? {}) as (keyof T)[];
  return Object.fromEntries(
    keys.map((k) => [
      k,
      Math.round((results.map((r) => r[k] as number).sort((a, b) => a - b)[Math.floor(runs / 2)] as number) * 10) / 10,
    ]),
  ) as T;
}

function startBaseline(url: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/issues-baseline.ts'], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: url, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`baseline exited with ${code}`)));
  });
}

const cursor = (order: string, v: unknown, id: number) =>
  Buffer.from(JSON.stringify({ o: order, v, id })).toString('base64url');

async function deepPages(serverUrl: string, token: string, url: string) {
  const { db } = createDb(url);
  const results: Record<string, unknown>[] = [];
  try {
    const orders = [
      { field: 'ID', column: 'id' as const },
      { field: 'DUE_DATE', column: 'dueDate' as const },
      { field: 'SEVERITY', column: 'severityRank' as const },
    ];
    for (const { field, column } of orders) {
      // The edge that ends page 9,999 of 10: its cursor starts page 10,000.
      const orderBy =
        column === 'id'
          ? [{ id: 'asc' as const }]
          : column === 'dueDate'
            ? [{ dueDate: { sort: 'asc' as const, nulls: 'last' as const } }, { id: 'asc' as const }]
            : [{ severityRank: 'asc' as const }, { id: 'asc' as const }];
      const edge = await db.issue.findFirstOrThrow({ orderBy, skip: Math.min(99_989, rows - 11) });
      const value = edge[column];
      const after = cursor(`${field}:ASC`, value instanceof Date ? value.toISOString() : value, edge.id);
      const page = (afterCursor: string | null) => async () => {
        const started = performance.now();
        const response = await fetch(`${serverUrl}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            query:
              'query ($after: String, $order: IssueOrder) { issues(first: 10, after: $after, orderBy: $order) { edges { node { id } } } }',
            variables: { after: afterCursor, order: { field } },
          }),
        });
        const body = await response.json();
        if (body.errors || body.data.issues.edges.length !== 10) throw new Error(JSON.stringify(body).slice(0, 300));
        return { ms: performance.now() - started };
      };
      const first = await median(21, page(null));
      const deep = await median(21, page(after));
      results.push({
        ordering: field,
        firstPageMs: first.ms,
        page10000Ms: deep.ms,
        ratio: +(deep.ms / first.ms).toFixed(2),
      });
    }
  } finally {
    await db.$disconnect();
  }
  return results;
}

async function benchProvider(provider: Provider) {
  const dir = mkdtempSync(join(tmpdir(), 'grc-bench-issues-'));
  const database = await freshDatabase(provider, dir);
  let baseline: ChildProcess | undefined;
  const server = await (async () => {
    const filled = performance.now();
    await fill(database.url);
    console.log(`${provider}: ${rows} issues inserted in ${Math.round(performance.now() - filled)} ms`);
    return startServerProcess(
      {
        DATABASE_URL: database.url,
        JWT_KEY_FILE: join(dir, 'keys.json'),
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_MINUTE: '0',
        ...admin,
      },
      60_000,
      false,
    );
  })();
  try {
    const token = await login(server.url, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD);
    const auth = { authorization: `Bearer ${token}` };
    const pid = server.child.pid ?? 0;

    const graphqlPage = await measure({
      name: `${provider} server: issues(first: 50)`,
      url: `${server.url}/graphql`,
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({
        query: '{ issues(first: 50) { edges { node { id title status severityLevel dueDate } } } }',
      }),
    });
    const getAll = await median(3, () => download(`${server.url}/api/issues/getAll`, pid, auth));
    const deep = await deepPages(server.url, token, database.url);

    const basePort = server.port + 1;
    baseline = await startBaseline(database.url, basePort);
    const basePage = await measure({
      name: `${provider} baseline: 50 rows`,
      url: `http://127.0.0.1:${basePort}/page`,
      method: 'GET',
    });
    const baseAll = await median(3, () => download(`http://127.0.0.1:${basePort}/all`, baseline?.pid ?? 0));

    const failures = [graphqlPage, basePage].filter((r) => r.errors || r.non2xx);
    if (failures.length || getAll.count !== rows || baseAll.count !== rows) {
      throw new Error(`failed requests or short answers: ${JSON.stringify({ failures, getAll, baseAll })}`);
    }
    return {
      provider,
      load: [graphqlPage, basePage],
      getAll: [
        { name: `${provider} server getAll`, ...getAll },
        { name: `${provider} baseline all`, ...baseAll },
      ],
      deepPages: deep,
      ratios: {
        pageRps: +(graphqlPage.requestsPerSecond / basePage.requestsPerSecond).toFixed(3),
        getAllLastByte: +(getAll.lastByteMs / baseAll.lastByteMs).toFixed(3),
        getAllPeakRss: +(getAll.rssPeakMiB / baseAll.rssPeakMiB).toFixed(3),
      },
    };
  } finally {
    baseline?.kill('SIGTERM');
    await server.stop();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const providers: Provider[] = (await postgresReachable()) ? ['sqlite', 'postgresql'] : ['sqlite'];
const results = [];
for (const provider of providers) {
  const result = await benchProvider(provider);
  printTable(result.load);
  printTable(result.getAll);
  printTable(result.deepPages);
  console.log(result.ratios);
  results.push(result);
}
console.log(machine());
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`results/issues-${new Date().toISOString().slice(0, 10)}.json`, import.meta.url),
  `${JSON.stringify({ machine: machine(), rows, results }, null, 2)}\n`,
);
