/**
 * `bench:auth` of this checkout beside `bench:auth` of an earlier one, taking
 * turns round by round so that background load hits both alike; prints
 * min/median/max of each ratio (authenticated `{ me }` over anonymous
 * `{ version }`, service-account over session token).
 *
 *   BENCH_BASELINE_DIR=/path/to/earlier/checkout BENCH_ROUNDS=3 BENCH_SECONDS=5 npx tsx bench/auth-versus.ts
 *
 * The baseline checkout needs its own `src/generated` (`npx tsx prisma/generate.ts` there).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const baseline = process.env.BENCH_BASELINE_DIR;
if (!baseline) {
  console.error('set BENCH_BASELINE_DIR to a checkout of the commit to compare with');
  process.exit(2);
}
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

interface Figures {
  rows: { name: string; requestsPerSecond: number }[];
  ratios: { authenticatedOverAnonymous: number; serviceAccountOverUser: number };
}

function runIn(dir: string): Figures {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'bench/auth.ts'], {
    cwd: dir,
    env: { ...process.env, BENCH_SECONDS: process.env.BENCH_SECONDS ?? '5' },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`bench:auth failed in ${dir}:\n${result.stdout}\n${result.stderr}`);
  const file = join(dir, 'bench', 'results', `auth-${new Date().toISOString().slice(0, 10)}.json`);
  return JSON.parse(readFileSync(file, 'utf8')) as Figures;
}

const seen: Record<'baseline' | 'current', Figures[]> = { baseline: [], current: [] };
for (let round = 0; round < rounds; round++) {
  // Alternate which goes first, so neither always runs on a warmer or busier machine.
  const order = round % 2 === 0 ? (['baseline', 'current'] as const) : (['current', 'baseline'] as const);
  for (const which of order) {
    const figures = runIn(which === 'baseline' ? baseline : here);
    seen[which].push(figures);
    console.log(
      round + 1,
      which,
      figures.ratios,
      figures.rows.map((r) => `${r.name}: ${r.requestsPerSecond}`).join(', '),
    );
  }
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1) };
};
for (const which of ['baseline', 'current'] as const) {
  console.log(which, {
    authenticatedOverAnonymous: stats(seen[which].map((f) => f.ratios.authenticatedOverAnonymous)),
    serviceAccountOverUser: stats(seen[which].map((f) => f.ratios.serviceAccountOverUser)),
    anonymousRps: stats(seen[which].map((f) => f.rows[0]?.requestsPerSecond ?? 0)),
  });
}
