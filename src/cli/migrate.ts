/**
 * `npm run db:migrate`: applies the committed migrations to the database
 * DATABASE_URL (or DATABASE_URL_FILE) names (the default SQLite file when
 * unset), as the server does on start unless MIGRATE_ON_START is off.
 */
import { ConfigError, loadConfig } from '../config.ts';
import { applyMigrations, migrationsList } from '../db/migrate.ts';
import { defaultDatabaseUrl } from '../db/provider.ts';
import { CommandError, parseCommandLine, runCommand } from './args.ts';

parseCommandLine({
  synopsis: 'usage: npm run db:migrate',
  help: `Applies the committed migrations (prisma/migrations/<provider>/) that the
database DATABASE_URL (or the file DATABASE_URL_FILE) names has not had yet
(default ${defaultDatabaseUrl}).

  -h, --help  print this help and do nothing else

Exit codes: 0 up to date, 1 failed, 2 usage error.
`,
  options: {},
});

await runCommand(
  'db:migrate',
  async () => {
    let url: string;
    let provider: ReturnType<typeof loadConfig>['provider'];
    try {
      // The server's own reading of the environment: the same database, however it is named.
      ({ databaseUrl: url, provider } = loadConfig());
    } catch (error) {
      throw new CommandError(error instanceof ConfigError ? error.message : String(error), 1);
    }
    const committed = migrationsList(provider).migrationDirectories.length;
    console.log(`Migrating the ${provider} database (${committed} committed migrations)…`);
    try {
      const applied = await applyMigrations(url);
      if (applied.length === 0) console.log(`The ${provider} database is up to date: no migration to apply.`);
      else for (const name of applied) console.log(`applied ${name}`);
    } catch (error) {
      // An operator needs the reason, not our stack; the URL is left out as it may hold a password.
      throw new CommandError(`db:migrate: could not migrate the database: ${(error as Error).message}`, 1);
    }
  },
  // The schema engine leaves a timer behind (about 10 s on PostgreSQL): do not wait for it.
  { exit: true },
);
