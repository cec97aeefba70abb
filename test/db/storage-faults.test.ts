import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client.ts';
import { StorageError, toAppError } from '../../src/errors.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { postgresAdminUrl, testProviders } from '../support/databases.ts';

const silent = { warn() {}, error() {} };

describe('storage faults are told apart (src/db/errors.ts, toAppError)', () => {
  // The shapes Prisma 7's adapters produce, as reproduced (see storageFaultOf).
  const prismaError = (code: string, originalCode: string, originalMessage: string) =>
    Object.assign(new Error('Invalid invocation'), {
      code,
      meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { originalCode, originalMessage } } },
    });

  it.each([
    ['P1008', 'SQLITE_BUSY', 'database is locked', 'DATABASE_BUSY'],
    ['P2039', 'SQLITE_FULL', 'database or disk is full', 'STORAGE_FULL'],
    ['P2039', 'SQLITE_READONLY', 'attempt to write a readonly database', 'STORAGE_READ_ONLY'],
    ['P2010', 'SQLITE_READONLY_DBMOVED', 'attempt to write a readonly database', 'STORAGE_READ_ONLY'],
    ['P2010', '53100', 'could not extend file: No space left on device', 'STORAGE_FULL'],
    ['P2010', '25006', 'cannot execute INSERT in a read-only transaction', 'STORAGE_READ_ONLY'],
    ['P2010', '55P03', 'canceling statement due to lock timeout', 'DATABASE_BUSY'],
    ['P2010', '57014', 'canceling statement due to lock timeout', 'DATABASE_BUSY'],
  ])('%s %s → 503 %s', (code, originalCode, message, expected) => {
    const answer = toAppError(prismaError(code, originalCode, message), 'r1', silent);
    expect(answer).toBeInstanceOf(StorageError);
    expect({ code: answer.code, status: answer.status }).toEqual({ code: expected, status: 503 });
    expect(answer.headers['Retry-After']).toMatch(/^\d+$/);
  });

  it('a statement timeout is not a lock wait but a deadline (nothing saved), and a driver error is read from its own code', () => {
    expect(
      toAppError(prismaError('P2010', '57014', 'canceling statement due to statement timeout'), 'r', silent).code,
    ).toBe('REQUEST_TIMEOUT');
    const driver = Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' });
    expect(toAppError(driver, 'r', silent).code).toBe('STORAGE_READ_ONLY');
  });

  it('logs each refusal once, with the driver code as its cause', () => {
    const lines: object[] = [];
    const log = { warn: (d: object) => void lines.push(d), error: (d: object) => void lines.push(d) };
    toAppError(prismaError('P2039', 'SQLITE_FULL', 'database or disk is full'), 'r9', log);
    expect(lines).toEqual([{ code: 'STORAGE_FULL', cause: 'SQLITE_FULL: database or disk is full', requestId: 'r9' }]);
  });
});

describe.runIf(testProviders.includes('postgresql'))('PostgreSQL storage faults, in-process', () => {
  let app: TestApp | undefined;
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const createIssue = (token: string, title: string) =>
    app?.graphql<{ createIssue: { id: string } }>(
      'mutation ($t: String!) { createIssue(input: { title: $t }) { id } }',
      { t: title },
      token,
    );
  const refusalsOf = (code: string) =>
    (app?.logs ?? []).map((l) => JSON.parse(l)).filter((l) => l.msg === `database refused a write: ${code}`);

  it('a read-only database (default_transaction_read_only, as on a standby): 503 STORAGE_READ_ONLY, /readyz says so', async () => {
    app = await startTestApp('postgresql');
    const token = await app.login(adminUserName, adminPassword);
    const name = new URL(app.database.url).pathname.slice(1);
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${name} SET default_transaction_read_only = on`);
      // Sessions read the setting when they start: end the open ones.
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      await expect
        .poll(async () => (await (await app?.fetch('/readyz'))?.json())?.database, { timeout: 20_000, interval: 200 })
        .toBe('read-only');
      const ready = await app.fetch('/readyz');
      expect(ready.status).toBe(503);

      const refused = await createIssue(token, 'Not saved');
      expect({ status: refused?.status, code: refused?.body.errors?.[0]?.extensions?.code }).toEqual({
        status: 503,
        code: 'STORAGE_READ_ONLY',
      });
      expect(refusalsOf('STORAGE_READ_ONLY')[0]).toMatchObject({ cause: expect.stringContaining('25006') });

      const login = await app.fetch('/api/authentication/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userName: adminUserName, password: adminPassword }),
      });
      expect(login.status).toBe(503);
      expect((await login.json()).error.code).toBe('STORAGE_READ_ONLY');
      expect((await app.graphql('{ issues(first: 5) { totalCount } }', {}, token)).status).toBe(200);
    } finally {
      await admin.query(`ALTER DATABASE ${name} RESET default_transaction_read_only`);
      await admin.end();
    }
  }, 60_000);

  it('a lock held beyond lock_timeout: 503 DATABASE_BUSY, then writes work again', async () => {
    app = await startTestApp('postgresql');
    const token = await app.login(adminUserName, adminPassword);
    const holder = new pg.Client({ connectionString: app.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE "Issue" IN EXCLUSIVE MODE');
      const refused = await createIssue(token, 'While locked');
      expect({ status: refused?.status, code: refused?.body.errors?.[0]?.extensions?.code }).toEqual({
        status: 503,
        code: 'DATABASE_BUSY',
      });
      expect(refusalsOf('DATABASE_BUSY')).toEqual([
        expect.objectContaining({ cause: expect.stringContaining('55P03') }),
      ]);
      await holder.query('ROLLBACK');
      expect((await createIssue(token, 'After the lock'))?.status).toBe(200);
    } finally {
      await holder.end();
    }
  }, 60_000);
});

describe("a driver's own error is answered as Prisma's error of the same failure (the issue streams read with pg)", () => {
  const answer = (error: unknown) => {
    const { status, code } = toAppError(error, 'r', silent);
    return { status, code };
  };
  // pg's shape of a server error, and the adapter's wrapping of it (see storageFaultOf).
  const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });
  const wrapped = (kind: string, originalCode: string, message: string) =>
    Object.assign(new Error('Invalid invocation'), {
      code: 'P1001',
      meta: {
        driverAdapterError: { name: 'DriverAdapterError', cause: { kind, originalCode, originalMessage: message } },
      },
    });

  it.each([
    ['57P03', 'the database system is starting up', 'postgres'],
    ['53300', 'sorry, too many clients already', 'TooManyConnections'],
    ['57P01', 'terminating connection due to administrator command', 'postgres'],
    ['55P03', 'canceling statement due to lock timeout', 'postgres'],
  ])('%s: %s', (code, message, kind) => {
    expect(answer(pgError(code, message))).toEqual({ status: 503, code: expect.any(String) });
    expect(answer(pgError(code, message)).code).toBe(answer(wrapped(kind, code, message)).code);
  });

  it.runIf(testProviders.includes('postgresql'))(
    'real failures: refused, unknown host, no such database, no such role',
    async () => {
      const base = new URL(postgresAdminUrl);
      const urls = [
        Object.assign(new URL(base), { port: '1' }),
        Object.assign(new URL(base), { hostname: 'no-such-host.invalid' }),
        Object.assign(new URL(base), { pathname: '/no_such_database_here' }),
        Object.assign(new URL(base), { username: 'no_such_role_here' }),
      ];
      for (const url of urls.map(String)) {
        const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 5000 });
        pool.on('error', () => {});
        const raw = await pool.query('SELECT 1').then(
          () => undefined,
          (e: unknown) => e,
        );
        await pool.end();
        const { db } = createDb(url, { connectTimeoutMs: 5000 });
        const viaPrisma = await db.issue.findMany({ take: 1 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        await db.$disconnect();
        expect({ url, raw: answer(raw) }).toEqual({ url, raw: answer(viaPrisma) });
      }
    },
    60_000,
  );
});
