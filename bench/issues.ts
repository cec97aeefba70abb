/**
 * The issues API on 100,000 issues against a bare node:http baseline that does the same work
 * (bench/issues-baseline.ts), in one run, on SQLite and on PostgreSQL (when reachable at
 * BENCH_DATABASE_URL or the local server). Every comparison is interleaved: alternating slices,
 * BENCH_ROUNDS rounds, each ratio printed as min/median/max over the rounds.
 * - `issues(first: 50)` with a service-account token: req/s and server CPU per request, against
 *   the baseline (body parsed, JWT verified each time, the same columns and JSON envelope); both
 *   must answer the same rows;
 * - `GET /api/issues/getAll`: time to last byte and the server's RSS growth while it streams,
 *   against the baseline's hand-streamed array of the same bytes;
 * - a deep keyset page (after row 90,000) against the first page, for every ordering, timed in
 *   alternating pairs;
 * - GraphiQL's page and its assets, bytes on the wire (with `accept-encoding: gzip, br`).
 *
 *   npm run bench:issues   (BENCH_ROUNDS=5, BENCH_SLICE_SECONDS=5, BENCH_ROWS=100000,
 *                           BENCH_NODE_ENV=production, BENCH_CPU_PROF=<dir> to profile the server;
 *                           the build as npm start runs it, BENCH_SERVER=source for the sources)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '../src/db/client.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import type { Provider } from '../src/db/provider.ts';
import { IssueSeverity, IssueStatus } from '../src/db/types.ts';
import { severityRank } from '../src/issues/severity.ts';
import { startServerProcess } from '../test/support/process.ts';
import {
  benchNodeEnv,
  benchProviders,
  benchRounds,
  interleave,
  login,
  machine,
  postgresAdmin,
  productionServer,
  rssMiB,
  type SliceResult,
  slice,
  stats,
  temporaryPostgresDatabase,
} from './lib/load.ts';

const rows = Number(process.env.BENCH_ROWS ?? 100_000);
const admin = { ADMIN_USERNAME: 'bench.admin', ADMIN_PASSWORD: 'bench admin password' };
const pageQuery = '{ issues(first: 50) { edges { node { id title status severityLevel dueDate } } } }';

/** BENCH_SQLITE_FILE: a SQLite file kept between runs (filled on the first), to skip the fill. */
const keptSqlite = process.env.BENCH_SQLITE_FILE;
/** BENCH_CASES: the cases to run, comma-separated (page, getAll, deep, graphiql); all by default. */
const cases = new Set((process.env.BENCH_CASES ?? 'page,getAll,deep,graphiql').split(','));

async function freshDatabase(provider: Provider, dir: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (provider === 'sqlite') return { url: `file:${keptSqlite ?? join(dir, 'bench.db')}`, drop: async () => {} };
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
          createdAt: new Date(Date.UTC(2026, 0, 1) + i * 1000),
          updatedAt: new Date(Date.UTC(2026, 6, 1) + ((i * 7919) % rows) * 1000),
        };
      });
      await db.issue.createMany({ data: batch });
    }
    // Statistics, as a database in service has them: without, PostgreSQL plans the first pages
    // blind (the due-date page took 4 to 10 ms instead of 1.5).
    await db.$executeRawUnsafe('ANALYZE');
  } finally {
    await db.$disconnect();
  }
}

/** Fetches a streamed body without decoding it, timing the last byte and sampling the server's memory. */
async function download(url: string, pid: number, token: string) {
  const before = rssMiB(pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid));
  }, 10);
  const started = performance.now();
  // identity: fetch would ask for gzip, and the baseline does not compress.
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'identity' } });
  const body = Buffer.from(await response.arrayBuffer());
  const lastByteMs = performance.now() - started;
  clearInterval(sampler);
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${body.toString().slice(0, 200)}`);
  return { lastByteMs, growthMiB: peak - before, body };
}

function startBaseline(url: string, port: number, keyFile: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/issues-baseline.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: benchNodeEnv,
      DATABASE_URL: url,
      PORT: String(port),
      JWT_KEY_FILE: keyFile,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`baseline exited with ${code}`)));
  });
}

const cursor = (order: string, v: unknown, id: number) =>
  Buffer.from(JSON.stringify({ o: order, v, id })).toString('base64url');

const orderings = [
  { field: 'ID', column: 'id' },
  { field: 'DUE_DATE', column: 'dueDate' },
  { field: 'SEVERITY', column: 'severityRank' },
  { field: 'CREATED_AT', column: 'createdAt' },
  { field: 'UPDATED_AT', column: 'updatedAt' },
] as const;

/** Per ordering, the cursor of the edge at row 90,000 (or 90 % of the rows). */
async function deepCursors(url: string): Promise<Record<string, string>> {
  const { db } = createDb(url);
  try {
    const cursors: Record<string, string> = {};
    for (const { field, column } of orderings) {
      const orderBy =
        column === 'id'
          ? [{ id: 'asc' as const }]
          : column === 'dueDate'
            ? [{ dueDate: { sort: 'asc' as const, nulls: 'last' as const } }, { id: 'asc' as const }]
            : [{ [column]: 'asc' as const }, { id: 'asc' as const }];
      const edge = await db.issue.findFirstOrThrow({ orderBy, skip: Math.floor(rows * 0.9) - 1 });
      const value = edge[column];
      cursors[field] = cursor(`${field}:ASC`, value instanceof Date ? value.toISOString() : value, edge.id);
    }
    return cursors;
  } finally {
    await db.$disconnect();
  }
}

/** Median latency of `count` sequential requests for one page. */
/** Milliseconds to the parsed answer of one page of 10 issues, after `after` (null: the first page). */
async function pageMs(serverUrl: string, token: string, field: string, after: string | null): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${serverUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query:
        'query ($after: String, $order: IssueOrder) { issues(first: 10, after: $after, orderBy: $order) { edges { node { id } } } }',
      variables: { after, order: { field } },
    }),
  });
  const body = await response.json();
  if (body.errors || body.data.issues.edges.length !== 10) throw new Error(JSON.stringify(body).slice(0, 300));
  return performance.now() - started;
}

/**
 * The first and the deep page of one ordering, in `pairs` back-to-back pairs (which of the two
 * goes first alternates), so that a busier moment of the machine falls on both alike: the
 * median time of each.
 */
async function pageLatencies(serverUrl: string, token: string, field: string, after: string | null, pairs = 20) {
  const first: number[] = [];
  const deep: number[] = [];
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) {
      first.push(await pageMs(serverUrl, token, field, null));
      deep.push(await pageMs(serverUrl, token, field, after));
    } else {
      deep.push(await pageMs(serverUrl, token, field, after));
      first.push(await pageMs(serverUrl, token, field, null));
    }
  }
  return { firstMs: stats(first).median, deepMs: stats(deep).median };
}

/** Bytes on the wire of a GET (body as sent, compressed or not). */
function wireBytes(
  url: string,
  headers: Record<string, string>,
): Promise<{ bytes: number; body: Buffer; encoding?: string }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        const body = Buffer.concat(parts);
        resolve({ bytes: body.length, body, encoding: res.headers['content-encoding'] });
      });
    })
      .on('error', reject)
      .end();
  });
}

/** GraphiQL's page and every same-origin script and stylesheet it loads, bytes on the wire. */
async function graphiqlBytes(serverUrl: string) {
  const headers = { accept: 'text/html', 'accept-encoding': 'gzip, br' };
  const page = await wireBytes(`${serverUrl}/graphql`, headers);
  const plain = await wireBytes(`${serverUrl}/graphql`, { accept: 'text/html' });
  const html = plain.body.toString('utf8');
  const assets = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1] as string);
  let total = page.bytes;
  for (const asset of assets)
    total += (await wireBytes(`${serverUrl}${asset}`, { 'accept-encoding': 'gzip, br' })).bytes;
  return { pageBytes: page.bytes, encoding: page.encoding ?? 'identity', assets: assets.length, totalBytes: total };
}

async function benchProvider(provider: Provider) {
  const dir = mkdtempSync(join(tmpdir(), 'grc-bench-issues-'));
  const database = await freshDatabase(provider, dir);
  const keyFile = join(dir, 'keys.json');
  let baseline: ChildProcess | undefined;
  const filled = performance.now();
  if (provider !== 'sqlite' || !keptSqlite || !existsSync(keptSqlite)) {
    await fill(database.url);
    console.log(`${provider}: ${rows} issues inserted in ${Math.round(performance.now() - filled)} ms`);
  }
  const profileDir = process.env.BENCH_CPU_PROF;
  const server = await startServerProcess(
    {
      DATABASE_URL: database.url,
      JWT_KEY_FILE: keyFile,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      NODE_ENV: benchNodeEnv,
      ...(profileDir
        ? {
            NODE_OPTIONS: `--import ${new URL('lib/cpu-profile.mjs', import.meta.url).pathname}`,
            CPU_PROFILE_DIR: profileDir,
          }
        : {}),
      ...admin,
    },
    60_000,
    false,
    undefined,
    productionServer(),
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
    const token = (await created.json()).data.createServiceAccount.token as string;
    const pid = server.child.pid ?? 0;
    const basePort = server.port + 1;
    baseline = await startBaseline(database.url, basePort, keyFile);
    const basePid = baseline.pid ?? 0;
    const baseUrl = `http://127.0.0.1:${basePort}`;

    // Both answer the same rows, in the same envelope.
    const ask = async (at: string) =>
      (
        await (
          await fetch(`${at}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: pageQuery }),
          })
        ).json()
      ).data;
    const [ours, theirs] = [await ask(server.url), await ask(baseUrl)];
    if (JSON.stringify(ours) !== JSON.stringify(theirs) || ours.issues.edges.length !== 50) {
      throw new Error(
        `the server and the baseline answer different rows:\n${JSON.stringify([ours, theirs]).slice(0, 600)}`,
      );
    }

    const load = (at: string, name: string, p: number) => (seconds?: number) =>
      slice(
        {
          name,
          url: `${at}/graphql`,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: pageQuery }),
        },
        p,
        seconds,
      );
    const none = { server: [] as SliceResult[], baseline: [] as SliceResult[] };
    const page = !cases.has('page')
      ? none
      : await interleave(
          { server: load(server.url, 'server', pid), baseline: load(baseUrl, 'baseline', basePid) },
          benchRounds,
          `${provider} issues(first: 50)`,
        );

    // getAll: byte-identical bodies, interleaved.
    const getAll: Record<'server' | 'baseline', { lastByteMs: number; growthMiB: number }[]> = {
      server: [],
      baseline: [],
    };
    let expected: Buffer | undefined;
    for (let round = 0; round < (cases.has('getAll') ? benchRounds : 0); round++) {
      const order = round % 2 === 0 ? (['server', 'baseline'] as const) : (['baseline', 'server'] as const);
      for (const which of order) {
        const got =
          which === 'server'
            ? await download(`${server.url}/api/issues/getAll`, pid, token)
            : await download(`${baseUrl}/all`, basePid, token);
        expected ??= got.body;
        if (!got.body.equals(expected)) throw new Error(`getAll: ${which} answered other bytes`);
        getAll[which].push({ lastByteMs: got.lastByteMs, growthMiB: got.growthMiB });
      }
    }
    if (expected && (JSON.parse(expected.toString('utf8')) as unknown[]).length !== rows)
      throw new Error('getAll short');

    // Deep keyset pages against the first, interleaved per ordering.
    const cursors = await deepCursors(database.url);
    const deep: Record<string, number[]> = Object.fromEntries(orderings.map(({ field }) => [field, []]));
    const deepMs: Record<string, { first: number[]; deep: number[] }> = Object.fromEntries(
      orderings.map(({ field }) => [field, { first: [], deep: [] }]),
    );
    if (cases.has('deep'))
      for (const { field } of orderings) await pageLatencies(server.url, token, field, cursors[field] ?? null, 3);
    for (let round = 0; round < (cases.has('deep') ? benchRounds : 0); round++) {
      for (const { field } of orderings) {
        const { firstMs, deepMs: deepPageMs } = await pageLatencies(server.url, token, field, cursors[field] ?? null);
        deep[field]?.push(deepPageMs / firstMs);
        deepMs[field]?.first.push(firstMs);
        deepMs[field]?.deep.push(deepPageMs);
      }
    }

    const graphiql = cases.has('graphiql') ? await graphiqlBytes(server.url) : {};

    const ratioOf = (a: SliceResult[], b: SliceResult[]) =>
      a.map((r, i) => r.requestsPerSecond / (b[i]?.requestsPerSecond ?? Number.NaN));
    return {
      provider,
      nodeEnv: benchNodeEnv,
      'issues(first: 50)': {
        'server req/s': stats(
          page.server.map((r) => r.requestsPerSecond),
          0,
        ),
        'baseline req/s': stats(
          page.baseline.map((r) => r.requestsPerSecond),
          0,
        ),
        'server / baseline': stats(ratioOf(page.server, page.baseline)),
        'server CPU ms/request': stats(page.server.map((r) => r.cpuMsPerRequest)),
        'baseline CPU ms/request': stats(page.baseline.map((r) => r.cpuMsPerRequest)),
      },
      getAll: {
        'server last byte ms': stats(
          getAll.server.map((r) => r.lastByteMs),
          0,
        ),
        'baseline last byte ms': stats(
          getAll.baseline.map((r) => r.lastByteMs),
          0,
        ),
        'server / baseline': stats(getAll.server.map((r, i) => r.lastByteMs / (getAll.baseline[i]?.lastByteMs ?? 0))),
        'server RSS growth MiB': stats(
          getAll.server.map((r) => r.growthMiB),
          1,
        ),
        'baseline RSS growth MiB': stats(
          getAll.baseline.map((r) => r.growthMiB),
          1,
        ),
        bytes: expected?.length ?? 0,
      },
      'deep page / first page': Object.fromEntries(
        orderings.map(({ field }) => [
          field,
          {
            ...stats(deep[field] ?? []),
            firstMs: stats(deepMs[field]?.first ?? [], 2).median,
            deepMs: stats(deepMs[field]?.deep ?? [], 2).median,
          },
        ]),
      ),
      graphiql,
    };
  } finally {
    baseline?.kill('SIGTERM');
    await server.stop();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const providers = await benchProviders();
const results = [];
for (const provider of providers) {
  const result = await benchProvider(provider);
  console.log(`\n== ${provider} (NODE_ENV=${benchNodeEnv}, ${rows} issues, ${benchRounds} rounds) ==`);
  for (const [name, table] of Object.entries(result)) {
    if (typeof table !== 'object') continue;
    console.log(name);
    console.table(table);
  }
  results.push(result);
}
console.log(machine());
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`results/issues-${new Date().toISOString().slice(0, 10)}.json`, import.meta.url),
  `${JSON.stringify({ machine: machine(), rows, results }, null, 2)}\n`,
);
