/**
 * What a request costs once the server has run for a while: before and after V8's memory
 * reducer makes its first full collection (one 100 seconds after the last full collection,
 * whatever the load, or sooner when the process seems idle). That collection lets hidden
 * classes that no live object has die, and code built on them can stay slower for good
 * (src/fake-promise-shapes.ts). Two servers run side by side on SQLite: this checkout's build
 * and, with BENCH_BASELINE_DIR (an earlier checkout, built), that one's; slices of 5 s
 * alternate between them and between `{ version }` anonymous and `{ me { userName roles } }`
 * with a session token, for BENCH_STEADY_SECONDS. Each server runs with `--trace-gc`, read for
 * the first memory-reducing full collection ("Mark-Compact (reduce)"). Printed per server and
 * kind: the server's CPU per request, median of the slices before that collection and of those
 * that start after it, and their ratio; and `{ me }`'s req/s against `{ version }`'s, before
 * and after.
 *
 *   npm run bench:steady-state   (BENCH_STEADY_SECONDS=200, BENCH_BASELINE_DIR; NODE_ENV=production)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../test/support/process.ts';
import { login, machine, productionServer, type SliceResult, slice, stats } from './lib/load.ts';

const admin = { ADMIN_USERNAME: 'bench.admin', ADMIN_PASSWORD: 'bench admin password' };
const seconds = Number(process.env.BENCH_STEADY_SECONDS ?? 200);
const sliceSeconds = 5;

interface Contender {
  label: string;
  url: string;
  pid: number;
  token: string;
  /** When the first memory-reducing full collection was seen (ms since the epoch), if yet. */
  reducedAt?: number;
  slices: { kind: Kind; start: number; result: SliceResult }[];
  stop: () => Promise<void>;
}

type Kind = '{ version }' | '{ me }';

async function start(label: string, cwd: string | undefined): Promise<Contender> {
  const dir = mkdtempSync(join(tmpdir(), 'grc-bench-steady-'));
  const port = await freePort();
  const args = productionServer()?.args ?? ['--import', 'tsx', 'src/main.ts'];
  const child = spawn(process.execPath, ['--trace-gc', ...args], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: `file:${join(dir, 'bench.db')}`,
      JWT_KEY_FILE: join(dir, 'keys.json'),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      NODE_ENV: 'production',
      SHUTDOWN_DRAIN_MS: '0',
      PORT: String(port),
      ...admin,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const contender: Contender = { label, url, pid: child.pid ?? 0, token: '', slices: [], stop: async () => {} };
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (contender.reducedAt === undefined && line.includes('Mark-Compact (reduce)')) contender.reducedAt = Date.now();
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  contender.stop = async () => {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let waited = 0; ; waited += 100) {
    if (child.exitCode !== null) throw new Error(`${label}: the server exited`);
    if (waited > 60_000) throw new Error(`${label}: the server did not start in 60 s`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  contender.token = await login(url, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD);
  return contender;
}

function sliceOf(contender: Contender, kind: Kind) {
  const me = kind === '{ me }';
  return slice(
    {
      name: `${contender.label} ${kind}`,
      url: `${contender.url}/graphql`,
      headers: { 'content-type': 'application/json', ...(me ? { authorization: `Bearer ${contender.token}` } : {}) },
      body: JSON.stringify({ query: me ? '{ me { userName roles } }' : '{ version }' }),
    },
    contender.pid,
    sliceSeconds,
  );
}

const baselineDir = process.env.BENCH_BASELINE_DIR;
const contenders = [await start('this checkout', undefined)];
if (baselineDir) contenders.push(await start('baseline', baselineDir));
const kinds: Kind[] = ['{ version }', '{ me }'];
const began = Date.now();
try {
  for (let turn = 0; Date.now() - began < seconds * 1000; turn++) {
    const kind = kinds[turn % kinds.length] as Kind;
    // Each turn in the other order, so that neither server always follows the other.
    const order = turn % 4 < 2 ? contenders : [...contenders].reverse();
    for (const contender of order) {
      const startedAt = Date.now();
      contender.slices.push({ kind, start: startedAt, result: await sliceOf(contender, kind) });
    }
    console.log(
      `${Math.round((Date.now() - began) / 1000)} s ${kind}:`,
      Object.fromEntries(
        contenders.map((c) => [
          c.label,
          `${c.slices.at(-1)?.result.cpuMsPerRequest.toFixed(4)} ms${c.reducedAt === undefined ? '' : ' (after)'}`,
        ]),
      ),
    );
  }
} finally {
  for (const contender of contenders) await contender.stop();
}

const median = (values: number[]) => (values.length ? stats(values, 4).median : Number.NaN);
const results = contenders.map((contender) => {
  const reducedAt = contender.reducedAt;
  const before = (kind: Kind) =>
    contender.slices.filter(
      (s) => s.kind === kind && (reducedAt === undefined || s.start + sliceSeconds * 1000 < reducedAt),
    );
  const after = (kind: Kind) =>
    contender.slices.filter((s) => s.kind === kind && reducedAt !== undefined && s.start > reducedAt);
  const cpu = (list: typeof contender.slices) => median(list.map((s) => s.result.cpuMsPerRequest));
  const rps = (list: typeof contender.slices) => median(list.map((s) => s.result.requestsPerSecond));
  const rows = Object.fromEntries(
    kinds.map((kind) => [
      kind,
      {
        'CPU ms/request before': cpu(before(kind)),
        'CPU ms/request after': cpu(after(kind)),
        'after / before': +(cpu(after(kind)) / cpu(before(kind))).toFixed(3),
        'slices before / after': `${before(kind).length} / ${after(kind).length}`,
      },
    ]),
  );
  const ratio = (list: (kind: Kind) => typeof contender.slices) =>
    +(rps(list('{ me }')) / rps(list('{ version }'))).toFixed(3);
  return {
    server: contender.label,
    reducingCollectionAfterSeconds: reducedAt === undefined ? null : Math.round((reducedAt - began) / 1000),
    rows,
    meOverVersion: { before: ratio(before), after: ratio(after) },
  };
});
for (const result of results) {
  console.log(
    `\n== ${result.server}: the first memory-reducing full collection ${
      result.reducingCollectionAfterSeconds === null
        ? 'did not come'
        : `came ${result.reducingCollectionAfterSeconds} s into the run`
    } ==`,
  );
  console.table(result.rows);
  console.log('{ me } req/s / { version } req/s, medians:', result.meOverVersion);
}
console.log(machine());
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`results/steady-state-${new Date().toISOString().slice(0, 10)}.json`, import.meta.url),
  `${JSON.stringify({ machine: machine(), seconds, baselineDir, results }, null, 2)}\n`,
);
