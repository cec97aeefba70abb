import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Provider } from './provider.ts';

/** The `prisma/` folder of the repository: the model, its migrations and the derived schemas. */
export const prismaDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'prisma');
export const sourceSchemaPath = join(prismaDir, 'schema.prisma');

/** Where the derived schema of a provider is written. */
export function generatedSchemaPath(provider: Provider): string {
  return join(prismaDir, 'generated', provider, 'schema.prisma');
}

/** The committed migrations folder of a provider. */
export function migrationsDir(provider: Provider): string {
  return join(prismaDir, 'migrations', provider);
}

/**
 * Derives a provider's schema from the single source `prisma/schema.prisma`:
 * its datasource and generator blocks are replaced, the models are kept as
 * they are. Paths in the header are relative to the derived file, which
 * lives in `prisma/generated/<provider>/`.
 */
export function providerSchema(provider: Provider, source = readFileSync(sourceSchemaPath, 'utf8')): string {
  const models = source.replace(/^(datasource|generator)\s+\w+\s*\{[^}]*\}\s*$/gm, '').trimStart();
  const header = [
    '// GENERATED from prisma/schema.prisma by `npm run db:generate`. Do not edit.',
    '',
    'datasource db {',
    `  provider = "${provider}"`,
    '}',
    '',
    'generator client {',
    '  provider               = "prisma-client"',
    `  output                 = "../../../src/generated/${provider}"`,
    '  moduleFormat           = "esm"',
    '  importFileExtension    = "ts"',
    '  runtime                = "nodejs"',
    '}',
  ];
  // One set of Pothos types serves both clients: the models are the same.
  if (provider === 'sqlite') {
    header.push(
      '',
      'generator pothos {',
      '  provider          = "prisma-pothos-types"',
      '  clientOutput      = "./sqlite/client.ts"',
      '  output            = "../../../src/generated/pothos-types.ts"',
      '  generateDatamodel = "true"',
      '}',
    );
  }
  return `${header.join('\n')}\n\n${models}`;
}
