/**
 * `npm run build`: compiles src/ to JavaScript under dist/ (tsc, one file per
 * source file, `.ts` import suffixes rewritten to `.js`) and copies beside it
 * what the compiled server reads from disk, at the same relative paths as in
 * the repository: the console's files, the Prisma model and migrations (the
 * migration runner reads them), the committed operation documents and the
 * trusted documents' manifest, and a package.json (the version, and `"type": "module"`).
 *
 * dist/ is then the application: `node dist/src/main.js` with production
 * dependencies is the server, `node dist/src/cli/<tool>.js` its tools.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../src/cli/args.ts';
import { documentFolders, manifestFile } from '../src/plugins/trusted-documents.ts';

parseCommandLine({
  synopsis: 'usage: npm run build',
  help: `Compiles src/ to JavaScript under dist/ and copies the files the server
reads at run time beside it. \`npm start\` runs it first.

  -h, --help  print this help and do nothing else

Exit codes: 0 built, 1 failed (a type error, say), 2 usage error.
`,
  options: {},
});

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
} catch {
  process.stderr.write('build: tsc failed\n');
  process.exit(1);
}

// tsc builds incrementally and never deletes: drop what a deleted or renamed source left behind.
const sources = new Set(filesUnder(join(root, 'src')));
for (const file of filesUnder(join(dist, 'src'))) {
  if (!sources.has(file) && !sources.has(file.replace(/\.js$/, '.ts'))) rmSync(join(dist, 'src', file));
}

/** Files copied this run, relative to the repository (and to dist/). */
const copied = new Set<string>();

/**
 * Copies a file of the repository to the same path under dist/, unless it is there already:
 * a server running from dist/ (TEST_SERVER=dist) never reads a file while it is rewritten.
 */
function copy(path: string): void {
  copied.add(path);
  const target = join(dist, path);
  if (existsSync(target) && readFileSync(target).equals(readFileSync(join(root, path)))) return;
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(root, path), target);
}

// Files under src/ that are not TypeScript (the console's HTML, CSS and scripts).
for (const file of sources) if (!file.endsWith('.ts')) copy(join('src', file));

// The migration runner derives each provider's schema from the model and applies the committed migrations.
copy('prisma/schema.prisma');
for (const file of filesUnder(join(root, 'prisma', 'migrations'))) copy(join('prisma', 'migrations', file));

// The trusted documents' manifest (TRUSTED_DOCUMENTS), and the documents it is made of, whose operation
// names are also the metrics labels (src/http/use-request-log.ts).
copy(manifestFile);
for (const folder of documentFolders) {
  for (const file of filesUnder(join(root, folder)).filter((f) => f.endsWith('.graphql') && !f.includes('/'))) {
    copy(join(folder, file));
  }
}

// What an earlier build copied and this one did not (a migration or document since removed).
for (const folder of ['prisma', ...documentFolders]) {
  for (const file of filesUnder(join(dist, folder))) {
    if (!copied.has(join(folder, file))) rmSync(join(dist, folder, file));
  }
  removeEmptyFolders(join(dist, folder));
}

/** Removes the folders under `dir` left empty (the migration runner takes every folder for a migration). */
function removeEmptyFolders(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    removeEmptyFolders(path);
    if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
  }
}

// src/version.ts reads the version from ../package.json; Node reads the module type from it.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const manifest = `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: 'module', engines: pkg.engines }, null, 2)}\n`;
const manifestPath = join(dist, 'package.json');
if (!existsSync(manifestPath) || readFileSync(manifestPath, 'utf8') !== manifest) writeFileSync(manifestPath, manifest);
