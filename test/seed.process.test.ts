import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { verifyPassword } from '../src/auth/password.ts';
import { createDb, type Db } from '../src/db/client.ts';
import { migratedDatabase, type TestDatabase, testProviders } from './support/databases.ts';
import { killAll, startServerProcess } from './support/process.ts';

const run = promisify(execFile);

const seedPassword = 'the sample users password';

/** Runs `prisma/seed.ts` as `npm run db:seed` does; rejects on a non-zero exit or after a minute. */
function seed(env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', 'prisma/seed.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      ...(process.env.CI === undefined ? {} : { CI: process.env.CI }),
      ...env,
    },
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
}

async function withDb<T>(url: string, work: (db: Db) => Promise<T>): Promise<T> {
  const { db } = createDb(url, { poolSize: 1 });
  try {
    return await work(db);
  } finally {
    await db.$disconnect();
  }
}

const seededUsers = (url: string) =>
  withDb(url, (db) =>
    db.user.findMany({
      select: { id: true, userName: true, passwordHash: true, roles: { select: { role: true } } },
      orderBy: { userName: 'asc' },
    }),
  );

afterAll(killAll);

describe.each(testProviders)('the seed script on %s', (provider) => {
  const databases: TestDatabase[] = [];
  const migrated = async () => {
    const database = await migratedDatabase(provider);
    databases.push(database);
    return database;
  };
  afterEach(async () => {
    await Promise.all(databases.splice(0).map((d) => d.drop()));
  });

  it('adds users of every role and SEED_ISSUES issues; a second run adds no user', async () => {
    const { url } = await migrated();
    const first = await seed({ DATABASE_URL: url, SEED_PASSWORD: seedPassword, SEED_ISSUES: '50' });
    expect(first.stdout).toContain('Seeded 4 users and 50 issues');
    expect(first.stdout + first.stderr).not.toContain(seedPassword);

    const users = await seededUsers(url);
    expect(users.map((u) => [u.userName, u.roles.map((r) => r.role).sort()])).toEqual([
      ['ada.admin', ['ADMINISTRATOR']],
      ['ivan.manager', ['ISSUE_MANAGER']],
      ['mia.manager', ['AUDITOR', 'ISSUE_MANAGER']],
      ['otto.auditor', ['AUDITOR']],
    ]);
    for (const user of users) {
      expect(user.passwordHash).toMatch(/^\$scrypt\$/);
      expect(await verifyPassword(seedPassword, user.passwordHash)).toBe(true);
    }
    const issues = await withDb(url, (db) =>
      db.issue.findMany({ select: { issueOwnerId: true, createdById: true, severityLevel: true } }),
    );
    expect(issues).toHaveLength(50);
    const ids = new Set(users.map((u) => u.id));
    expect(issues.every((i) => i.issueOwnerId && ids.has(i.issueOwnerId))).toBe(true);
    expect(issues.every((i) => i.createdById === users.find((u) => u.userName === 'ada.admin')?.id)).toBe(true);
    expect(new Set(issues.map((i) => i.severityLevel)).size).toBeGreaterThan(1);

    // Through the real server: every sample user signs in with SEED_PASSWORD, with its roles.
    const server = await startServerProcess({ DATABASE_URL: url });
    try {
      for (const user of users) {
        const response = await fetch(`${server.url}/api/authentication/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userName: user.userName, password: seedPassword }),
        });
        expect(response.status).toBe(200);
        const body = await response.json();
        expect({ id: body.id, roles: [...body.roles].sort() }).toEqual({
          id: user.id,
          roles: user.roles.map((r) => r.role).sort(),
        });
      }
      // The seeded database has users, so the server made no first administrator.
      expect(server.logLines().map((l) => l.msg)).not.toContain('first administrator created');
    } finally {
      expect(await server.stop()).toBe(0);
    }

    // Another password this time: existing users are left alone, password included.
    const second = await seed({ DATABASE_URL: url, SEED_PASSWORD: 'another sample password', SEED_ISSUES: '50' });
    expect(second.stdout).toContain('Seeded 0 users and 50 issues');
    expect(await seededUsers(url)).toEqual(users);
  }, 120_000);

  it('without SEED_PASSWORD prints a random password once, and the sample users sign in with it', async () => {
    const { url } = await migrated();
    const { stdout } = await seed({ DATABASE_URL: url, SEED_ISSUES: '1' });
    const password = /shown once: (\S+)$/m.exec(stdout)?.[1] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(stdout.split(password)).toHaveLength(2);
    const users = await seededUsers(url);
    expect(users).toHaveLength(4);
    for (const user of users) expect(await verifyPassword(password, user.passwordHash)).toBe(true);

    const again = await seed({ DATABASE_URL: url, SEED_ISSUES: '1' });
    expect(again.stdout).not.toContain('shown once');
  }, 120_000);
});
