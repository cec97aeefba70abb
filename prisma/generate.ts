/**
 * Writes each provider's schema from prisma/schema.prisma and generates its
 * Prisma client (and the Pothos types). Runs on install and by
 * `npm run db:generate`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { parseCommandLine } from '../src/cli/args.ts';
import { providers } from '../src/db/provider.ts';
import { generatedSchemaPath, providerSchema } from '../src/db/provider-schema.ts';

parseCommandLine({
  synopsis: 'usage: npm run db:generate',
  help: `Writes each provider's schema (prisma/generated/<provider>/) from
prisma/schema.prisma and generates its Prisma client into src/generated/.
It runs on install too.

  -h, --help  print this help and do nothing else

Exit codes: 0 generated, 1 failed, 2 usage error.
`,
  options: {},
});

const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');

for (const provider of providers) {
  const path = generatedSchemaPath(provider);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, providerSchema(provider));
  execFileSync(process.execPath, [prismaCli, 'generate', '--schema', path], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      // `prisma generate` needs no schema engine, but the CLI downloads one
      // unless told where it is; these machines cannot download it.
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/false',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  });
}
