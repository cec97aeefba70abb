/**
 * What the production image adds to its base, measured without a container
 * engine: the production dependencies installed from the lockfile as the
 * Dockerfile installs them (`npm ci --omit=dev --omit=optional`, then
 * scripts/prune-production.ts) plus the build output (`npm run build`).
 * Then it starts the server from that tree alone (NODE_ENV=production, a
 * temporary SQLite database) and checks /readyz and one GraphQL query, so
 * that the figure is of a tree that runs.
 *
 *   npm run bench:image-size
 *
 * better-sqlite3's addon is copied from this checkout's node_modules (the
 * image compiles its own, of the same size); everything else is installed.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from '../test/support/process.ts';

const repo = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'grc-image-'));
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

function run(args: string[], cwd: string): void {
  execFileSync(args[0] ?? '', args.slice(1), { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
}

try {
  run(['npm', 'run', '--silent', 'build'], repo);
  cpSync(join(repo, 'package.json'), join(work, 'package.json'));
  cpSync(join(repo, 'package-lock.json'), join(work, 'package-lock.json'));
  run(['npm', 'ci', '--omit=dev', '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund'], work);
  const addon = join('better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  mkdirSync(join(work, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true });
  cpSync(join(repo, 'node_modules', addon), join(work, 'node_modules', addon));
  run([process.execPath, '--import', 'tsx', 'scripts/prune-production.ts', join(work, 'node_modules')], repo);
  cpSync(join(repo, 'dist'), join(work, 'dist'), { recursive: true });
  rmSync(join(work, 'dist', '.tsbuildinfo'), { force: true });

  const forbidden = ['tsx', 'typescript', 'prisma', 'esbuild', '@prisma/studio-core', 'vitest'].filter((name) =>
    existsSync(join(work, 'node_modules', name)),
  );
  if (forbidden.length > 0) throw new Error(`the production tree holds ${forbidden.join(', ')}`);

  const modules = join(work, 'node_modules');
  const packages = readdirSync(modules)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) =>
      name.startsWith('@') ? readdirSync(join(modules, name)).map((inner) => `${name}/${inner}`) : [name],
    )
    .map((name) => ({ name, bytes: sizeOf(join(modules, name)) }))
    .sort((a, b) => b.bytes - a.bytes);
  const figures = {
    nodeModulesBytes: sizeOf(modules),
    distBytes: sizeOf(join(work, 'dist')),
    packages: packages.length,
    largest: packages.slice(0, 10),
  };

  // The tree runs on its own: no tsx, no TypeScript, the dependencies installed above.
  const data = join(work, 'data');
  const server = await startServerProcess(
    {
      NODE_ENV: 'production',
      DATABASE_URL: `file:${join(data, 'grc.db')}`,
      JWT_KEY_FILE: join(data, 'jwt-keys.json'),
      ADMIN_PASSWORD: 'image size bench password',
    },
    60_000,
    true,
    undefined,
    { args: ['dist/src/main.js'], cwd: work },
  );
  try {
    const ready = await fetch(`${server.url}/readyz`);
    const answer = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ version }' }),
    });
    const body = (await answer.json()) as { data?: { version?: string } };
    if (ready.status !== 200 || !body.data?.version)
      throw new Error(`the tree does not serve: ${JSON.stringify(body)}`);
  } finally {
    await server.stop();
  }

  const total = figures.nodeModulesBytes + figures.distBytes;
  process.stdout.write(
    [
      `production node_modules: ${mib(figures.nodeModulesBytes)} (${figures.packages} packages)`,
      `build output (dist/):    ${mib(figures.distBytes)}`,
      `added to the base image: ${mib(total)}`,
      'largest packages:',
      ...figures.largest.map((p) => `  ${p.name.padEnd(40)} ${mib(p.bytes)}`),
      'the tree started with NODE_ENV=production and answered /readyz and { version }',
      '',
    ].join('\n'),
  );
  const results = join(repo, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  writeFileSync(
    join(results, `image-size-${new Date().toISOString().slice(0, 10)}.json`),
    `${JSON.stringify({ ...figures, totalBytes: total, node: process.version }, null, 2)}\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
