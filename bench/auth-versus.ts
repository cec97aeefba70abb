/**
 * The cost of authentication here beside an earlier checkout's, in one run:
 * a server of each (SQLite, LOG_LEVEL=warn, no rate limit) side by side,
 * and interleaved slices of anonymous `{ version }` and `{ me }` with a
 * session token against each, round after round, so that background load
 * hits all four alike. Prints min/median/max of each ratio over the rounds.
 *
 *   BENCH_BASELINE_DIR=/path/to/earlier/checkout npm run bench:auth-versus
 *   (BENCH_ROUNDS=10, BENCH_SLICE_SECONDS=3)
 *
 * The baseline checkout needs its own `src/generated` (`npx tsx prisma/generate.ts` there).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { login, machine } from './lib/load.ts';

const here = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const baselineDir = process.env.BENCH_BASELINE_DIR;
if (!baselineDir) {
  console.error('set BENCH_BASELINE_DIR to a checkout of the commit to compare with');
  process.exit(2);
}
const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const sliceSeconds = Number(process.env.BENCH_SLICE_SECONDS ?? 3);
const admin = { ADMIN_USERNAME: 'bench.admin', ADMIN_PASSWORD: 'bench admin password' };

interface Running {
  child: ChildProcess;
  url: string;
  dir: string;
}

/** Starts `src/main.ts` of a checkout on its own SQLite file; resolves with its URL once it listens. */
function start(checkout: string, port: number): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'grc-bench-versus-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: checkout,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: `file:${join(dir, 'bench.db')}`,
      JWT_KEY_FILE: join(dir, 'keys.json'),
      LOG_LEVEL: 'info',
      RATE_LIMIT_PER_MINUTE: '0',
      PORT: String(port),
      ...admin,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${checkout} did not listen:\n${out}`)), 60_000);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (out.length < 100_000) out += chunk;
      if (out.includes('"listening"')) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${port}`, dir });
      }
    });
    child.once('exit', (code) => reject(new Error(`${checkout} exited with ${code}:\n${out}`)));
  });
}

async function slice(url: string, query: string, token?: string): Promise<number> {
  const result = await autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    connections: 10,
    duration: sliceSeconds,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  if (result.errors > 0 || result.non2xx > 0)
    throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx`);
  return result.requests.average;
}

const servers = { baseline: await start(baselineDir, 43101), current: await start(here, 43102) };
try {
  const tokens = {
    baseline: await login(servers.baseline.url, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD),
    current: await login(servers.current.url, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD),
  };
  const ratios: Record<'baseline' | 'current', number[]> = { baseline: [], current: [] };
  const rps: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so neither always runs on a warmer or busier machine.
    const order = round % 2 === 0 ? (['baseline', 'current'] as const) : (['current', 'baseline'] as const);
    for (const which of order) {
      const anonymous = await slice(servers[which].url, '{ version }');
      const me = await slice(servers[which].url, '{ me { userName roles } }', tokens[which]);
      ratios[which].push(me / anonymous);
      for (const [name, value] of [
        [`${which} anonymous`, anonymous],
        [`${which} me`, me],
      ] as const) {
        rps[name] = [...(rps[name] ?? []), value];
      }
      console.log(round + 1, which, { anonymous, me, ratio: +(me / anonymous).toFixed(3) });
    }
  }
  const stats = (values: number[]) => {
    const sorted = [...values].sort((x, y) => x - y);
    const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
    return { min: +(sorted[0] ?? 0).toFixed(3), median: +median.toFixed(3), max: +(sorted.at(-1) ?? 0).toFixed(3) };
  };
  console.table({
    'baseline: { me } / anonymous': stats(ratios.baseline),
    'current: { me } / anonymous': stats(ratios.current),
    ...Object.fromEntries(Object.entries(rps).map(([name, values]) => [`${name} req/s`, stats(values)])),
  });
  const each = ratios.current.map((r, i) => r / (ratios.baseline[i] ?? Number.NaN));
  console.log('current ratio / baseline ratio, round by round:', stats(each), machine());
} finally {
  for (const server of Object.values(servers)) {
    server.child.kill('SIGTERM');
    rmSync(server.dir, { recursive: true, force: true });
  }
}
