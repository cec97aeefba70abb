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
import { killAll } from '../test/support/process.ts';
import {
  graphqlSlice,
  interleave,
  login,
  machine,
  productionServer,
  type SliceResult,
  startBenchServer,
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
    const running = await startBenchServer(`file:${join(dir, 'bench.db')}`, dir, admin, { args: server.args, cwd });
    const token = await login(running.url, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD);
    const graphql = (query: string, bearer?: string) => {
      const run = graphqlSlice(running, `${build} ${query}`, query, bearer);
      return (seconds?: number) => run(seconds ?? sliceSeconds);
    };
    contenders[`${build} anonymous`] = graphql('{ version }');
    contenders[`${build} me`] = graphql('{ me { userName roles } }', token);
  }
  const series = await interleave(contenders, rounds, 'versus');
  const of = (name: string) => series[name] ?? [];
  const byRound = (a: string, b: string, value: (s: SliceResult) => number) =>
    of(a).map((s, i) => value(s) / value(of(b)[i] ?? s));
  const each = (title: string, value: (s: SliceResult) => number, digits: number) => {
    console.log(title);
    console.table(Object.fromEntries(Object.entries(series).map(([n, s]) => [n, stats(s.map(value), digits)])));
  };
  each('req/s', (s) => s.requestsPerSecond, 0);
  each('CPU ms/request', (s) => s.cpuMsPerRequest, 4);
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
