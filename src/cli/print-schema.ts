/**
 * `npm run schema:print`: writes the GraphQL contract, schema.graphql, from
 * the schema the code builds. `--check` only compares, and exits 1 when the
 * committed file differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { printedSchema, schemaFile } from '../schema/print.ts';
import { CommandError, parseCommandLine, runCommand } from './args.ts';

const { values } = parseCommandLine({
  synopsis: 'usage: npm run schema:print [-- --check]',
  help: `Writes schema.graphql, the GraphQL contract, from the schema the code builds.

  --check     write nothing; exit 1 when schema.graphql is not current
  -h, --help  print this help and do nothing else

Exit codes: 0 written (or current), 1 out of date (--check) or failed, 2 usage error.
`,
  options: { check: { type: 'boolean' } },
});

await runCommand('schema:print', async () => {
  const printed = printedSchema();
  if (values.check) {
    if (readFileSync(schemaFile, 'utf8') !== printed)
      throw new CommandError('schema.graphql is out of date: run npm run schema:print', 1);
    console.log('schema.graphql is current');
  } else {
    writeFileSync(schemaFile, printed);
    console.log('wrote schema.graphql');
  }
});
