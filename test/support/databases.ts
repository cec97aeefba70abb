import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { applyMigrations } from '../../src/db/migrate.ts';
import type { Provider } from '../../src/db/provider.ts';

export interface TestDatabase {
  provider: Provider;
  url: string;
  drop(): Promise<void>;
}

/** The PostgreSQL server tests create their databases on. */
export const postgresAdminUrl = process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    if (process.env.CI === 'true') {
      throw new Error(`PostgreSQL is required in CI but not reachable at ${redact(postgresAdminUrl)}: ${error}`);
    }
    process.stderr.write(
      `\nPostgreSQL not reachable at ${redact(postgresAdminUrl)}: PostgreSQL test runs are SKIPPED (set TEST_DATABASE_URL).\n\n`,
    );
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** Providers every suite runs on: SQLite always, PostgreSQL when reachable (always in CI). */
export const testProviders: Provider[] = (await postgresReachable()) ? ['sqlite', 'postgresql'] : ['sqlite'];

/** A fresh, empty database of the provider; `drop()` removes it. */
export async function freshDatabase(provider: Provider): Promise<TestDatabase> {
  const suffix = randomBytes(6).toString('hex');
  if (provider === 'sqlite') {
    const file = join(tmpdir(), `grc-test-${suffix}.db`);
    return {
      provider,
      url: `file:${file}`,
      drop: async () => {
        for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) rmSync(f, { force: true });
      },
    };
  }
  const name = `grc_test_${suffix}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    provider,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: postgresAdminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A fresh database with the committed migrations applied. */
export async function migratedDatabase(provider: Provider): Promise<TestDatabase> {
  const database = await freshDatabase(provider);
  await applyMigrations(database.url);
  return database;
}
