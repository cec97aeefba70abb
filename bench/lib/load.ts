import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import autocannon from 'autocannon';
import pg from 'pg';

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
