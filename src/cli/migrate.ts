/**
 * `npm run db:migrate`: applies the committed migrations to the database
 * DATABASE_URL names (the default SQLite file when unset), as the server
 * does on start unless MIGRATE_ON_START is off.
 */
import { applyMigrations } from '../db/migrate.ts';
import { defaultDatabaseUrl, providerOf } from '../db/provider.ts';

const url = process.env.DATABASE_URL || defaultDatabaseUrl;

try {
  const provider = providerOf(url);
  const applied = await applyMigrations(url);
  if (applied.length === 0) console.log(`The ${provider} database is up to date: no migration to apply.`);
  else for (const name of applied) console.log(`applied ${name}`);
} catch (error) {
  // An operator needs the reason, not our stack; the URL is left out as it may hold a password.
  process.stderr.write(`db:migrate: could not migrate the database: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
// The schema engine leaves a timer behind (about 10 s on PostgreSQL): do not wait for it.
process.exit();
