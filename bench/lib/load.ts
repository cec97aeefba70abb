import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import type { Provider } from '../../src/db/provider.ts';
import { type ServerCommand, type ServerProcess, startServerProcess } from '../../test/support/process.ts';

export interface LoadResult {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  non2xx: number;
}

export interface LoadOptions {
  name: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** @default 10 */
  connections?: number;
  /** Seconds of measured load. @default BENCH_SECONDS or 10 */
  seconds?: number;
}

/** Seconds each measurement runs (BENCH_SECONDS, default 10). */
export const benchSeconds = Number(process.env.BENCH_SECONDS ?? 10);

function run(options: LoadOptions, seconds: number) {
  return autocannon({
    url: options.url,
    method: options.method ?? 'POST',
    headers: options.headers,
    body: options.body,
    connections: options.connections ?? 10,
    duration: seconds,
  });
}

/** A bounded autocannon run after a short warm-up; counts every failure. */
export async function measure(options: LoadOptions): Promise<LoadResult> {
  await run(options, 2);
  const result = await run(options, options.seconds ?? benchSeconds);
  return {
    name: options.name,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    // autocannon's errors already include timeouts.
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

/** The machine the figures come from. */
export function machine() {
  const cpu = cpus();
  return { cpu: cpu[0]?.model.trim() ?? 'unknown', cores: cpu.length, node: process.version };
}

export function printTable(rows: object[]): void {
  console.table(rows);
}

/** Signs in through the REST endpoint and answers the session token. */
export async function login(url: string, userName: string, password: string): Promise<string> {
  const response = await fetch(`${url}/api/authentication/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userName, password }),
  });
  const body = (await response.json()) as { auth_token?: string };
  if (!body.auth_token) throw new Error(`login failed: ${response.status}`);
  return body.auth_token;
}

/** The PostgreSQL server the benches make their databases on (BENCH_DATABASE_URL, else the local one). */
export const postgresAdmin = process.env.BENCH_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * The providers a bench runs on: BENCH_PROVIDERS (comma-separated), else SQLite and, when
 * `postgresAdmin` answers, PostgreSQL (saying so when it does not).
 */
export async function benchProviders(): Promise<Provider[]> {
  const only = process.env.BENCH_PROVIDERS?.split(',') as Provider[] | undefined;
  if (only) return only;
  const client = new pg.Client({ connectionString: postgresAdmin, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    return ['sqlite', 'postgresql'];
  } catch {
    console.log(`PostgreSQL not reachable at ${postgresAdmin}: PostgreSQL run skipped.`);
    return ['sqlite'];
  } finally {
    await client.end().catch(() => {});
  }
}

/** A new database on a PostgreSQL server for one run, and how to drop it. */
export async function temporaryPostgresDatabase(adminUrl: string, prefix: string) {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Rounds of an interleaved comparison (BENCH_ROUNDS, default 5). */
export const benchRounds = Number(process.env.BENCH_ROUNDS ?? 5);
/** Seconds of one slice of an interleaved comparison (BENCH_SLICE_SECONDS, default 5). */
export const sliceSeconds = Number(process.env.BENCH_SLICE_SECONDS ?? 5);
/**
 * NODE_ENV of the servers under test (BENCH_NODE_ENV, default `production`, as the image runs;
 * `development` measures what it changes).
 */
export const benchNodeEnv = process.env.BENCH_NODE_ENV ?? 'production';

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc (Linux). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}
// USER_HZ is 100 on every Linux build this runs on.
const clockTicks = 100;

/** Resident memory of a process in MiB, from /proc (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

export interface SliceResult {
  requestsPerSecond: number;
  /** Server CPU per request, in milliseconds. */
  cpuMsPerRequest: number;
}

/** One slice of load against a server process; fails on any error or non-2xx answer. */
export async function slice(options: LoadOptions, pid: number, seconds = sliceSeconds): Promise<SliceResult> {
  const cpuBefore = cpuMs(pid);
  const result = await run(options, seconds);
  const cpu = cpuMs(pid) - cpuBefore;
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(`${options.name}: ${result.errors} errors, ${result.non2xx} non-2xx answers`);
  }
  return {
    requestsPerSecond: result.requests.total / seconds,
    cpuMsPerRequest: cpu / Math.max(1, result.requests.total),
  };
}

/** Min, median and max of a series. */
export function stats(values: number[], digits = 3) {
  const sorted = [...values].sort((x, y) => x - y);
  const round = (v: number | undefined) => +(v ?? Number.NaN).toFixed(digits);
  return { min: round(sorted[0]), median: round(sorted[Math.floor(sorted.length / 2)]), max: round(sorted.at(-1)) };
}

/**
 * Runs `contenders` in interleaved slices, `rounds` times, alternating which goes first in each
 * round so that neither always meets a warmer or busier machine. Answers each contender's series.
 */
export async function interleave<K extends string>(
  contenders: Record<K, (seconds?: number) => Promise<SliceResult>>,
  rounds = benchRounds,
  label = '',
): Promise<Record<K, SliceResult[]>> {
  const names = Object.keys(contenders) as K[];
  const series = Object.fromEntries(names.map((n) => [n, [] as SliceResult[]])) as Record<K, SliceResult[]>;
  for (const name of names) await contenders[name](2); // warm-up, not counted
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) series[name].push(await contenders[name]());
    console.log(
      `${label} round ${round + 1}:`,
      Object.fromEntries(names.map((n) => [n, Math.round(series[n].at(-1)?.requestsPerSecond ?? 0)])),
    );
  }
  return series;
}

/**
 * The server as `npm start` runs it: the build (`dist/`, made by `npm run build`, which the
 * bench scripts run first) with the node options of package.json's `start` script, the one
 * place they are written (the image's CMD is checked against it). BENCH_SERVER=source runs
 * the TypeScript sources through tsx instead.
 */
export function productionServer(): { args: string[] } | undefined {
  if (process.env.BENCH_SERVER === 'source') return undefined;
  const start = (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: { start: string };
    }
  ).scripts.start;
  const command = /\bnode\s+(.+)$/.exec(start)?.[1]?.trim().split(/\s+/);
  if (!command) throw new Error(`package.json's start script runs no node: ${start}`);
  return { args: command };
}

/**
 * A server for slices of load on `databaseUrl`: `command` (by default the build, as `npm start`
 * runs it), BENCH_NODE_ENV, LOG_LEVEL=warn, no rate limit, its key file in `dir`; `env` adds the
 * rest (the first administrator).
 */
export function startBenchServer(
  databaseUrl: string,
  dir: string,
  env: Record<string, string>,
  command: ServerCommand | undefined = productionServer(),
): Promise<ServerProcess> {
  return startServerProcess(
    {
      DATABASE_URL: databaseUrl,
      JWT_KEY_FILE: join(dir, 'keys.json'),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      NODE_ENV: benchNodeEnv,
      ...env,
    },
    60_000,
    false,
    undefined,
    command,
  );
}

/** A slice of one GraphQL query against `server`, anonymous or with a bearer token. */
export function graphqlSlice(server: ServerProcess, name: string, query: string, token?: string) {
  return (seconds?: number) =>
    slice(
      {
        name,
        url: `${server.url}/graphql`,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query }),
      },
      server.child.pid ?? 0,
      seconds,
    );
}
