import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDb, type Db } from '../../src/db/client.ts';
import { migratedDatabase, type TestDatabase } from '../support/databases.ts';

// SQLite only: the statement cache wraps Prisma's better-sqlite3 adapter; PostgreSQL's pg driver
// prepares nothing on the client.
describe('prepared statements on sqlite', () => {
  let database: TestDatabase | undefined;
  let db: Db | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await db?.$disconnect();
    await database?.drop();
  });

  const open = async () => {
    database = await migratedDatabase('sqlite');
    const prepare = vi.spyOn(Database.prototype, 'prepare');
    db = createDb(database.url).db;
    return { db, prepare };
  };

  it('prepares a statement once, and binds each call its own arguments', async () => {
    const { db, prepare } = await open();
    const titles = ['first', 'second', 'third'];
    for (const title of titles) await db.issue.create({ data: { title, severityLevel: 'HIGH', severityRank: 1 } });
    const sqls = () => prepare.mock.calls.map(([sql]) => sql);
    const before = sqls().length;
    const found = [];
    for (let round = 0; round < 3; round++)
      for (const id of [1, 2, 3])
        found.push((await db.issue.findUnique({ where: { id }, select: { title: true } }))?.title);
    expect(found).toEqual([...titles, ...titles, ...titles]);
    // Nine reads of one SQL text: prepared once (on the first), whatever the arguments.
    const prepared = sqls().slice(before);
    expect(prepared.length).toBe(1);
    expect(await db.issue.count({ where: { title: { in: ['first', 'third'] } } })).toBe(2);
  });

  it('answers the new columns of a SELECT * after the table changed', async () => {
    const { db } = await open();
    await db.issue.create({ data: { title: 'one', severityLevel: 'LOW', severityRank: 3 } });
    const all = () => db.$queryRawUnsafe<Record<string, unknown>[]>('SELECT * FROM "Issue"');
    const before = Object.keys((await all())[0] ?? {});
    await db.$executeRawUnsafe('ALTER TABLE "Issue" ADD COLUMN "addedLater" TEXT DEFAULT \'yes\'');
    const after = (await all())[0] ?? {};
    expect(Object.keys(after)).toEqual([...before, 'addedLater']);
    expect(after.addedLater).toBe('yes');
  });

  it('keeps transactions whole: a rolled-back write is gone, a committed one stays', async () => {
    const { db } = await open();
    await db.issue.create({ data: { title: 'kept', severityLevel: 'LOW', severityRank: 3 } });
    await expect(
      db.$transaction(async (tx) => {
        await tx.issue.create({ data: { title: 'rolled back', severityLevel: 'LOW', severityRank: 3 } });
        throw new Error('abandon');
      }),
    ).rejects.toThrow('abandon');
    await db.$transaction(async (tx) => {
      await tx.issue.create({ data: { title: 'committed', severityLevel: 'LOW', severityRank: 3 } });
    });
    const titles = (await db.issue.findMany({ orderBy: { id: 'asc' }, select: { title: true } })).map((i) => i.title);
    expect(titles).toEqual(['kept', 'committed']);
  });
});
