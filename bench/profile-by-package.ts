/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, e.g. from `BENCH_CPU_PROF=<dir> npm run
 * bench:issues`) by package: self time of each function, added up by the package its file
 * belongs to (node_modules/<package>), node's own code, this project's src/, and V8's
 * (garbage collection, idle, program).
 *
 *   npx tsx bench/profile-by-package.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, top = '25'] = process.argv.slice(2);
if (!file) {
  console.error('usage: npx tsx bench/profile-by-package.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

function packageOf({ functionName, url }: ProfileNode['callFrame']): string {
  if (!url) return functionName.startsWith('(') ? `V8 ${functionName}` : 'V8 (native)';
  if (url.startsWith('node:')) return 'node core';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope, name] = url.slice(modules + '/node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? url);
  }
  if (url.includes('/src/')) return 'our code (src/)';
  return url;
}

const total = new Map<string, number>();
const functions = new Map<string, number>();
let all = 0;
profile.samples.forEach((id, i) => {
  const node = byId.get(id);
  const dt = profile.timeDeltas[i] ?? 0;
  if (!node) return;
  const pkg = packageOf(node.callFrame);
  total.set(pkg, (total.get(pkg) ?? 0) + dt);
  const fn = `${pkg}: ${node.callFrame.functionName || '(anonymous)'}`;
  functions.set(fn, (functions.get(fn) ?? 0) + dt);
  all += dt;
});
const busy = all - (total.get('V8 (idle)') ?? 0);
const table = (entries: Map<string, number>) =>
  [...entries]
    .filter(([name]) => name !== 'V8 (idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(top))
    .map(([name, us]) => ({ name, ms: Math.round(us / 1000), '% of busy': +((100 * us) / busy).toFixed(1) }));
console.log(`busy ${Math.round(busy / 1000)} ms of ${Math.round(all / 1000)} ms sampled`);
console.table(table(total));
console.table(table(functions));
