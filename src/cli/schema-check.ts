/**
 * `npm run schema:check [-- <git ref>]`: compares the schema the code builds
 * with schema.graphql as committed at the ref (default HEAD, or
 * origin/main in a branch workflow) and reports the changes; exits 1 on a
 * breaking change unless `--allow-breaking` is given.
 */
import { execFileSync } from 'node:child_process';
import { schemaChanges } from '../schema/breaking-changes.ts';
import { printedSchema } from '../schema/print.ts';

const ref = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'HEAD';
let before: string;
try {
  before = execFileSync('git', ['show', `${ref}:schema.graphql`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
} catch {
  console.log(`No schema.graphql at ${ref}: nothing to compare.`);
  process.exit(0);
}
const changes = await schemaChanges(before, printedSchema());
for (const c of changes) console.log(`${c.level.padEnd(12)} ${c.message}`);
const breaking = changes.filter((c) => c.level === 'BREAKING');
console.log(`${changes.length} change(s) since ${ref}, ${breaking.length} breaking.`);
if (breaking.length > 0 && !process.argv.includes('--allow-breaking')) process.exit(1);
