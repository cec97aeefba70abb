/**
 * The CPU a request costs the server with tracing off, with it on, and (when
 * BENCH_BASELINE_DIR names an earlier checkout) in that checkout: servers
 * side by side (SQLite, LOG_LEVEL=warn, no rate limit), each sent the same
 * fixed number of requests in interleaved rounds; the server's user+system
 * CPU time (from /proc, every thread) over the round, divided by the
 * requests. CPU per request, unlike throughput, barely moves when other
 * work shares the cores. The traced server exports OTLP/protobuf to a sink
 * here that answers 200 and drops everything.
 *
 *   npm run bench:tracing                  (BENCH_ROUNDS=6, BENCH_REQUESTS=2000)
 *   BENCH_BASELINE_DIR=/path/to/checkout npm run bench:tracing
 *
 * The request: an authenticated `issues(first: 10)` with each issue's
 * creator (10 issues), so that resolvers and Prisma queries are traced.
 * The baseline checkout needs its own `src/generated` (`npx tsx prisma/generate.ts` there).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { login, machine } from './lib/load.ts';

const here = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const baselineDir = process.env.BENCH_BASELINE_DIR;
const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
const requests = Number(process.env.BENCH_REQUESTS ?? 2000);
const admin = { ADMIN_USERNAME: 'bench.admin', ADMIN_PASSWORD: 'bench admin password' };
const query = '{ issues(first: 10) { totalCount edges { node { id title createdBy { userName } } } } }';
/** Clock ticks a second in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

interface Running {
  child: ChildProcess;
  url: string;
  dir: string;
}

/** Starts `src/main.ts` of a checkout on its own SQLite file; resolves once it listens. */
function start(checkout: string, env: Record<string, string>): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'grc-bench-tracing-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: checkout,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: `file:${join(dir, 'bench.db')}`,
      JWT_KEY_FILE: join(dir, 'keys.json'),
      LOG_LEVEL: 'info',
      RATE_LIMIT_PER_MINUTE: '0',
      PORT: '0',
      ...admin,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${checkout} did not listen:\n${out}`)), 60_000);
    child.stdout?.setEncoding('utf8');
    const onData = (chunk: string) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (!line) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      // Keep reading stdout so that the server never blocks on a full pipe.
      child.stdout?.resume();
      resolve({ child, url: `http://127.0.0.1:${JSON.parse(line).port}`, dir });
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${checkout} exited with ${code}:\n${out}`)));
  });
}

/** User + system CPU seconds the process has used so far (all its threads). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

async function send(url: string, token: string, amount: number): Promise<void> {
  const result = await autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    connections: 4,
    amount,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  if (result.errors > 0 || result.non2xx > 0)
    throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx`);
}

async function seed(url: string, token: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'mutation ($input: CreateIssueInput!) { createIssue(input: $input) { id } }',
        variables: { input: { title: `bench issue ${i}` } },
      }),
    });
    if (!response.ok) throw new Error(`seeding failed: ${response.status} ${await response.text()}`);
  }
}

// The OTLP sink: answers every export 200 and keeps nothing.
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

const servers: Record<string, Running> = {};
try {
  if (baselineDir) servers.baseline = await start(baselineDir, {});
  servers['tracing off'] = await start(here, {});
  servers['tracing on'] = await start(here, { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl });
  const tokens: Record<string, string> = {};
  for (const [name, server] of Object.entries(servers)) {
    tokens[name] = await login(server.url, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD);
    await seed(server.url, tokens[name]);
    await send(server.url, tokens[name], 500); // warm-up
  }
  const perRequest: Record<string, number[]> = {};
  const names = Object.keys(servers);
  for (let round = 0; round < rounds; round++) {
    // Rotate which goes first, so that none always runs on a warmer or busier machine.
    const order = names.map((_, i) => names[(i + round) % names.length] as string);
    for (const name of order) {
      const server = servers[name] as Running;
      const pid = server.child.pid as number;
      const before = cpuSeconds(pid);
      await send(server.url, tokens[name] as string, requests);
      const micros = ((cpuSeconds(pid) - before) / requests) * 1e6;
      perRequest[name] = [...(perRequest[name] ?? []), micros];
      console.log(round + 1, name, `${micros.toFixed(0)} µs CPU per request`);
    }
  }
  const stats = (values: number[]) => {
    const sorted = [...values].sort((x, y) => x - y);
    return {
      min: Math.round(sorted[0] ?? 0),
      median: Math.round(sorted[Math.floor(sorted.length / 2)] ?? Number.NaN),
      max: Math.round(sorted.at(-1) ?? 0),
    };
  };
  console.table(
    Object.fromEntries(Object.entries(perRequest).map(([name, v]) => [`${name} (µs CPU/request)`, stats(v)])),
  );
  console.log({ rounds, requests, ...machine() });
} finally {
  for (const server of Object.values(servers)) {
    server.child.kill('SIGTERM');
    rmSync(server.dir, { recursive: true, force: true });
  }
  sink.close();
}
