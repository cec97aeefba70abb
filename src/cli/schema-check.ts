/**
 * `npm run schema:check [-- <git ref>]`: compares the schema the code builds
 * with schema.graphql as committed at the ref (default HEAD, or
 * origin/main in a branch workflow) and reports the changes; exits 1 on a
 * breaking change unless `--allow-breaking` is given.
 */
import { execFileSync } from 'node:child_process';
import { schemaChanges } from '../schema/breaking-changes.ts';
import { printedSchema } from '../schema/print.ts';
import { parseCommandLine, runCommand } from './args.ts';

const { values, positionals } = parseCommandLine({
  synopsis: 'usage: npm run schema:check [-- [--allow-breaking] [REF]]',
  help: `Lists the changes between the schema the code builds and schema.graphql as
committed at the git REF (default HEAD); fails on a breaking one.

  REF               a git commit, branch or tag (default HEAD)
  --allow-breaking  report breaking changes without failing
  -h, --help        print this help and do nothing else

Exit codes: 0 no breaking change (or allowed), 1 breaking changes or failed, 2 usage error.
`,
  options: { 'allow-breaking': { type: 'boolean' } },
  maxPositionals: 1,
});
const ref = positionals[0] ?? 'HEAD';

await runCommand('schema:check', async () => {
  let before: string;
  try {
    before = execFileSync('git', ['show', `${ref}:schema.graphql`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    console.log(`No schema.graphql at ${ref}: nothing to compare.`);
    return 0;
  }
  const changes = await schemaChanges(before, printedSchema());
  for (const c of changes) console.log(`${c.level.padEnd(12)} ${c.message}`);
  const breaking = changes.filter((c) => c.level === 'BREAKING');
  console.log(`${changes.length} change(s) since ${ref}, ${breaking.length} breaking.`);
  return breaking.length > 0 && !values['allow-breaking'] ? 1 : 0;
});
