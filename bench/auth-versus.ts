/**
 * This build beside an earlier one's, in one run: a server of each (the build, as `npm start`
 * runs it; SQLite, LOG_LEVEL=warn, no rate limit) side by side, and interleaved slices of
 * anonymous `{ version }` and `{ me }` with a session token against each, round after round, so
 * that background load hits all four alike. Prints, over the rounds (min/median/max): req/s and
 * the server's CPU per request of each, `{ me }` / anonymous of each build, and this build's CPU
 * per request over the baseline's, round by round, for each query.
 *
 *   BENCH_BASELINE_DIR=/path/to/earlier/checkout npm run bench:auth-versus
 *   (BENCH_ROUNDS=10, BENCH_SLICE_SECONDS=3, BENCH_NODE_ENV=production)
 *
 * The baseline checkout must be built (`npm run build` there, or a copy of its `dist/` with its
 * package.json and a `node_modules`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAll, startServerProcess } from '../test/support/process.ts';
import {
  benchNodeEnv,
  interleave,
  login,
  machine,
  productionServer,
  type SliceResult,
  slice,
  stats,
} from './lib/load.ts';

const baselineDir = process.env.BENCH_BASELINE_DIR;
if (!baselineDir) {
  console.error('set BENCH_BASELINE_DIR to a built checkout of the commit to compare with');
  process.exit(2);
}
const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const sliceSeconds = Number(process.env.BENCH_SLICE_SECONDS ?? 3);
const admin = { ADMIN_USERNAME: 'bench.admin', ADMIN_PASSWORD: 'bench admin password' };
const server = productionServer();
if (!server) {
  console.error('bench:auth-versus compares builds: BENCH_SERVER=source does not apply');
  process.exit(2);
}

const builds = { current: undefined, baseline: baselineDir };
const dirs: string[] = [];
try {
  const contenders: Record<string, (seconds?: number) => Promise<SliceResult>> = {};
  for (const [build, cwd] of Object.entries(builds)) {
    const dir = mkdtempSync(join(tmpdir(), 'grc-bench-versus-'));
    dirs.push(dir);
    const running = await startServerProcess(
      {
        DATABASE_URL: `file:${join(dir, 'bench.db')}`,
        JWT_KEY_FILE: join(dir, 'keys.json'),
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_MINUTE: '0',
        NODE_ENV: benchNodeEnv,
        ...admin,
      },
      60_000,
      false,
      undefined,
      { args: server.args, cwd },
    );
    const token = await login(running.url, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD);
    const graphql = (query: string, bearer?: string) => (seconds?: number) =>
      slice(
        {
          name: `${build} ${query}`,
          url: `${running.url}/graphql`,
          headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
          body: JSON.stringify({ query }),
        },
        running.child.pid ?? 0,
        seconds ?? sliceSeconds,
      );
    contenders[`${build} anonymous`] = graphql('{ version }');
    contenders[`${build} me`] = graphql('{ me { userName roles } }', token);
  }
  const series = await interleave(contenders, rounds, 'versus');
  const of = (name: string) => series[name] ?? [];
  const byRound = (a: string, b: string, value: (s: SliceResult) => number) =>
    of(a).map((s, i) => value(s) / value(of(b)[i] ?? s));
  console.log('req/s');
  console.table(
    Object.fromEntries(
      Object.entries(series).map(([n, s]) => [
        n,
        stats(
          s.map((x) => x.requestsPerSecond),
          0,
        ),
      ]),
    ),
  );
  console.log('CPU ms/request');
  console.table(
    Object.fromEntries(
      Object.entries(series).map(([n, s]) => [
        n,
        stats(
          s.map((x) => x.cpuMsPerRequest),
          4,
        ),
      ]),
    ),
  );
  console.log('ratios, round by round');
  console.table({
    'current: { me } / anonymous (req/s)': stats(
      byRound('current me', 'current anonymous', (s) => s.requestsPerSecond),
    ),
    'baseline: { me } / anonymous (req/s)': stats(
      byRound('baseline me', 'baseline anonymous', (s) => s.requestsPerSecond),
    ),
    'anonymous: current / baseline (CPU per request)': stats(
      byRound('current anonymous', 'baseline anonymous', (s) => s.cpuMsPerRequest),
    ),
    '{ me }: current / baseline (CPU per request)': stats(
      byRound('current me', 'baseline me', (s) => s.cpuMsPerRequest),
    ),
  });
  console.log(machine());
} finally {
  await killAll();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
