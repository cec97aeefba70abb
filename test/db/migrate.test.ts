import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client.ts';
import { applyMigrations, migrationsList, schemaDrift } from '../../src/db/migrate.ts';
import { freshDatabase, type TestDatabase, testProviders } from '../support/databases.ts';

describe.each(testProviders)('migrations on %s', (provider) => {
  const databases: TestDatabase[] = [];
  const fresh = async () => {
    const database = await freshDatabase(provider);
    databases.push(database);
    return database;
  };
  afterEach(async () => {
    await Promise.all(databases.splice(0).map((d) => d.drop()));
  });

  const committed = migrationsList(provider).migrationDirectories.map((d) => d.path);

  it('has committed migrations with a lock file for the provider', () => {
    expect(committed.length).toBeGreaterThan(0);
    expect(migrationsList(provider).lockfile.content).toContain(`provider = "${provider}"`);
  });

  it('apply on an empty database, recorded in _prisma_migrations, and are idempotent', async () => {
    const { url } = await fresh();
    expect(await applyMigrations(url)).toEqual(committed);
    const { db } = createDb(url);
    const history = () =>
      db.$queryRawUnsafe<{ migration_name: string; checksum: string; finished_at: unknown; logs: unknown }[]>(
        'SELECT id, migration_name, checksum, started_at, finished_at, logs, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
      );
    try {
      const rows = await history();
      expect(rows.map((r) => r.migration_name)).toEqual(committed);
      expect(rows.every((r) => r.finished_at !== null && r.logs === null)).toBe(true);
      // The checksum `prisma migrate deploy` records: SHA-256 of migration.sql.
      expect(rows.map((r) => r.checksum)).toEqual(
        migrationsList(provider).migrationDirectories.map((d) =>
          createHash('sha256').update(d.migrationFile.content.value).digest('hex'),
        ),
      );
      // Every model's table exists (and is empty).
      const counts = await Promise.all([
        db.user.count(),
        db.userRole.count(),
        db.serviceAccount.count(),
        db.serviceAccountRole.count(),
        db.issue.count(),
        db.auditEvent.count(),
      ]);
      expect(counts).toEqual([0, 0, 0, 0, 0, 0]);
      // A second run (a second start) applies nothing and changes nothing.
      expect(await applyMigrations(url)).toEqual([]);
      expect(await history()).toEqual(rows);
    } finally {
      await db.$disconnect();
    }
  });

  it('match the schema: no drift after migrating', async () => {
    const { url } = await fresh();
    await applyMigrations(url);
    expect(await schemaDrift(url)).toBe('');
  });

  it('report drift on a database that lacks them (the check can fail)', async () => {
    const { url } = await fresh();
    const drift = await schemaDrift(url);
    expect(drift).toContain('CREATE TABLE "User"');
    expect(drift).toContain('CREATE TABLE "AuditEvent"');
  });

  it('make the audit trail append-only in the database', async () => {
    const { url } = await fresh();
    await applyMigrations(url);
    const { db } = createDb(url);
    try {
      const event = await db.auditEvent.create({ data: { actorType: 'SYSTEM', action: 'test.event' } });
      // The trigger's message reaches Prisma on PostgreSQL; SQLite's adapter
      // reports a trigger abort as a constraint violation. Either way: refused.
      const refused = provider === 'postgresql' ? /append-only/ : /constraint/i;
      await expect(db.auditEvent.update({ where: { id: event.id }, data: { action: 'forged' } })).rejects.toThrow(
        refused,
      );
      await expect(db.auditEvent.delete({ where: { id: event.id } })).rejects.toThrow(refused);
      await expect(db.auditEvent.deleteMany()).rejects.toThrow(refused);
      if (provider === 'postgresql')
        await expect(db.$executeRawUnsafe('TRUNCATE "AuditEvent"')).rejects.toThrow(refused);
      expect((await db.auditEvent.findUniqueOrThrow({ where: { id: event.id } })).action).toBe('test.event');
    } finally {
      await db.$disconnect();
    }
  });

  it('are applied once when several instances start together', async () => {
    const { url } = await fresh();
    const results = await Promise.all([applyMigrations(url), applyMigrations(url), applyMigrations(url)]);
    expect(results.flat().sort()).toEqual([...committed].sort());
    const { db } = createDb(url);
    try {
      const rows = await db.$queryRawUnsafe<unknown[]>('SELECT migration_name FROM _prisma_migrations');
      expect(rows).toHaveLength(committed.length);
    } finally {
      await db.$disconnect();
    }
  });

  it.runIf(provider === 'sqlite')('start again while another connection holds the SQLite file open', async () => {
    const { url } = await fresh();
    await applyMigrations(url);
    const { db } = createDb(url);
    try {
      // As a running server does: WAL mode and an open connection.
      await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
      await db.user.count();
      expect(await applyMigrations(url)).toEqual([]);
    } finally {
      await db.$disconnect();
    }
  });
});
