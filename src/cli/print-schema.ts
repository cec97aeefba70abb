/**
 * `npm run schema:print`: writes the GraphQL contract, schema.graphql, from
 * the schema the code builds. `--check` only compares, and exits 1 when the
 * committed file differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { printedSchema, schemaFile } from '../schema/print.ts';

const printed = printedSchema();
if (process.argv.includes('--check')) {
  if (readFileSync(schemaFile, 'utf8') !== printed) {
    console.error('schema.graphql is out of date: run npm run schema:print');
    process.exit(1);
  }
  console.log('schema.graphql is current');
} else {
  writeFileSync(schemaFile, printed);
  console.log('wrote schema.graphql');
}
