/**
 * Removes from a node_modules/ what the compiled server never loads, before it
 * goes into the image (Dockerfile) or is measured (bench/image-size.ts):
 *
 * - Prisma's query compilers for the databases we do not run (MySQL, SQL
 *   Server, CockroachDB), and the `small` builds (our generated clients load
 *   the `fast` ones, src/generated/<provider>/internal/class.ts);
 * - better-sqlite3's sources and build intermediates (its compiled addon stays);
 * - source maps and type declarations.
 *
 * Imports nothing but node: modules, so that it runs under tsx here and under
 * Node's own type stripping (Node 22.18+) anywhere.
 *
 * usage: tsx scripts/prune-production.ts [node_modules folder]   (default ./node_modules)
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'node_modules');
if (!existsSync(join(root, '@prisma', 'client'))) {
  process.stderr.write(
    `prune-production: ${root} holds no @prisma/client: not a node_modules folder of this project\n`,
  );
  process.exit(2);
}

let removed = 0;
function remove(path: string): void {
  if (!existsSync(path)) return;
  removed += sizeOf(path);
  rmSync(path, { recursive: true, force: true });
}

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

const usedProviders = ['sqlite', 'postgresql'];
const prismaRuntime = join(root, '@prisma', 'client', 'runtime');
for (const name of readdirSync(prismaRuntime)) {
  const compiler = /^query_compiler_(fast|small)_bg\.(\w+)\./.exec(name);
  const unused =
    (compiler && (compiler[1] === 'small' || !usedProviders.includes(compiler[2] ?? ''))) ||
    name.startsWith('wasm-compiler-edge');
  if (unused) remove(join(prismaRuntime, name));
}

const sqlite = join(root, 'better-sqlite3');
for (const name of ['deps', 'src', 'binding.gyp']) remove(join(sqlite, name));
const release = join(sqlite, 'build', 'Release');
if (existsSync(release)) {
  for (const name of readdirSync(release)) if (name !== 'better_sqlite3.node') remove(join(release, name));
}
for (const name of existsSync(join(sqlite, 'build')) ? readdirSync(join(sqlite, 'build')) : []) {
  if (name !== 'Release') remove(join(sqlite, 'build', name));
}

const dropped = /\.(map|d\.ts|d\.mts|d\.cts)$/;
function walk(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (dropped.test(entry.name)) remove(path);
  }
}
walk(root);

process.stdout.write(`prune-production: removed ${(removed / 1024 / 1024).toFixed(1)} MiB from ${root}\n`);
