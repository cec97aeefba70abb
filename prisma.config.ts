// Configuration of the Prisma CLI (`prisma migrate status`, `prisma studio`)
// for the database DATABASE_URL names. The server itself does not read it.
import { defineConfig } from 'prisma/config';
import { defaultDatabaseUrl, providerOf } from './src/db/provider.ts';
import { generatedSchemaPath, migrationsDir } from './src/db/provider-schema.ts';

const url = process.env.DATABASE_URL || defaultDatabaseUrl;
const provider = providerOf(url);

export default defineConfig({
  schema: generatedSchemaPath(provider),
  migrations: { path: migrationsDir(provider) },
  datasource: { url },
});
