import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import pg from 'pg';
import { sqlitePath } from './client.ts';
import { type Provider, providerOf } from './provider.ts';
import { generatedSchemaPath, migrationsDir, prismaDir, providerSchema } from './provider-schema.ts';
import { noFilters, withSchemaEngine } from './schema-engine.ts';

/** The provider's schema, as the schema engine takes it. */
function engineSchema(provider: Provider) {
  return { path: generatedSchemaPath(provider), content: providerSchema(provider) };
}

/** The committed migrations of a provider in the shape the schema engine reads. */
export function migrationsList(provider: Provider) {
  const baseDir = migrationsDir(provider);
  const lockPath = join(baseDir, 'migration_lock.toml');
  const folders = existsSync(baseDir)
    ? readdirSync(baseDir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: folders.map((path) => ({
      path,
      migrationFile: {
        path: 'migration.sql',
        content: { tag: 'ok' as const, value: readFileSync(join(baseDir, path, 'migration.sql'), 'utf8') },
      },
    })),
  };
}

/** An arbitrary, fixed key: instances migrating one PostgreSQL database take turns on it. */
const migrationLockKey = 7_240_112_001;

/**
 * Runs `work` holding a lock file beside the SQLite database, so processes
 * starting together on one file migrate one at a time. A lock left by a
 * crashed process is taken over after two minutes.
 */
async function withLockFile<T>(path: string, work: () => Promise<T>): Promise<T> {
  const lock = `${path}.migrate-lock`;
  for (let waited = 0; ; waited += 100) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { force: true });
      } catch {
        // it went away meanwhile
      }
      if (waited > 180_000) throw new Error(`timed out waiting for ${lock}`);
      await sleep(100);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * Runs `work` holding a PostgreSQL advisory lock, so concurrent starts
 * migrate one at a time. The schema engine takes an advisory lock of its
 * own, but on a pooled connection it never releases explicitly: the pool
 * may close that connection when idle, releasing the lock mid-migration.
 * This one lives on a dedicated connection for the whole run.
 */
async function withMigrationLock<T>(url: string, work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [migrationLockKey]);
    return await work();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [migrationLockKey]).catch(() => {});
    await client.end();
  }
}

/**
 * Applies the committed migrations the database has not had yet, recording
 * each in `_prisma_migrations` as `prisma migrate deploy` does. Answers the
 * names applied (none when the database is up to date).
 */
export async function applyMigrations(url: string): Promise<string[]> {
  const provider = providerOf(url);
  const run = () =>
    withSchemaEngine(url, engineSchema(provider), async (engine) => {
      const { appliedMigrationNames } = await engine.applyMigrations({
        migrationsList: migrationsList(provider),
        filters: noFilters,
      });
      return appliedMigrationNames;
    });
  if (provider === 'sqlite') {
    const path = sqlitePath(url);
    mkdirSync(dirname(path), { recursive: true });
    // The schema engine locks a SQLite file exclusively, which fails while any other
    // connection (a running server, a reader) has it open: only start it when needed.
    if (sqliteUpToDate(path, provider)) return [];
    return withLockFile(path, run);
  }
  return withMigrationLock(url, run);
}

/** Whether every committed migration is recorded as applied in the SQLite file (read-only look). */
function sqliteUpToDate(path: string, provider: Provider): boolean {
  if (!existsSync(path)) return false;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get();
    if (!table) return false;
    const applied = new Set(
      (
        db
          .prepare(
            'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
          )
          .all() as { migration_name: string }[]
      ).map((r) => r.migration_name),
    );
    return migrationsList(provider).migrationDirectories.every((d) => applied.has(d.path));
  } finally {
    db.close();
  }
}

/**
 * The SQL that would bring the database to the provider's schema: empty
 * when the database (say, freshly migrated) matches the model exactly.
 */
export async function schemaDrift(url: string): Promise<string> {
  const provider = providerOf(url);
  const schema = engineSchema(provider);
  return withSchemaEngine(url, schema, async (engine) => {
    const result = await engine.diff({
      from: { tag: 'schemaDatasource', files: [schema], configDir: prismaDir },
      to: { tag: 'schemaDatamodel', files: [schema] },
      script: true,
      exitCode: null,
      filters: noFilters,
    });
    const script = result.stdout?.trim() ?? '';
    return script === '-- This is an empty migration.' ? '' : script;
  });
}
