import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createDb } from '../src/db/client.ts';
import { freshDatabase, postgresAdminUrl, type TestDatabase, testProviders } from './support/databases.ts';
import { failedStart, killAll, type ServerProcess, startServerProcess } from './support/process.ts';

const adminEnv = { ADMIN_USERNAME: 'first.admin', ADMIN_PASSWORD: 'an initial admin password' };

async function login(server: ServerProcess, userName: string, password: string) {
  return fetch(`${server.url}/api/authentication/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userName, password }),
  });
}

afterAll(killAll);

describe.each(testProviders)('the server process on %s', (provider) => {
  const databases: TestDatabase[] = [];
  const servers: ServerProcess[] = [];
  const fresh = async () => {
    const database = await freshDatabase(provider);
    databases.push(database);
    return database;
  };
  const start = async (env: Record<string, string>) => {
    const server = await startServerProcess(env);
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
    await Promise.all(databases.splice(0).map((d) => d.drop()));
  });

  it('migrates an empty database and serves; a second start changes nothing', async () => {
    const { url } = await fresh();
    const first = await start({ DATABASE_URL: url, ...adminEnv });
    expect(first.logLines().some((l) => l.msg === 'migrations applied')).toBe(true);
    expect(await (await fetch(`${first.url}/healthz`)).json()).toMatchObject({ status: 'ok' });
    const ready = await fetch(`${first.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', database: 'ok', provider, viewApis: true });
    const gql = await fetch(`${first.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ version }' }),
    });
    expect(await gql.json()).toEqual({ data: { version: expect.any(String) } });
    expect(await first.stop()).toBe(0);

    const second = await start({ DATABASE_URL: url, ...adminEnv });
    expect(second.logLines().some((l) => l.msg === 'database schema up to date')).toBe(true);
    expect(second.logLines().some((l) => l.msg === 'first administrator created')).toBe(false);
    await second.stop();
    const { db } = createDb(url);
    try {
      expect(await db.user.count()).toBe(1);
    } finally {
      await db.$disconnect();
    }
  });

  it('creates the first administrator from ADMIN_USERNAME and ADMIN_PASSWORD', async () => {
    const { url } = await fresh();
    const server = await start({ DATABASE_URL: url, ...adminEnv });
    const response = await login(server, 'first.admin', adminEnv.ADMIN_PASSWORD);
    expect(response.status).toBe(200);
    expect((await response.json()).roles).toEqual(['ADMINISTRATOR']);
    expect(server.stdout() + server.stderr()).not.toContain(adminEnv.ADMIN_PASSWORD);
  });

  it('creates the first administrator with a random password shown once', async () => {
    const { url } = await fresh();
    const first = await start({ DATABASE_URL: url });
    const banner = /user name: (\S+)\n\s+password:\s+(\S+)/.exec(first.stdout());
    expect(banner?.[1]).toBe('admin');
    const password = banner?.[2] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect((await login(first, 'admin', password)).status).toBe(200);
    // Shown in the banner only: no JSON log line carries it.
    expect(first.logLines().some((l) => JSON.stringify(l).includes(password))).toBe(false);
    await first.stop();
    const { db } = createDb(url);
    try {
      const [admin] = await db.user.findMany();
      expect(admin?.passwordHash).toMatch(/^\$scrypt\$/);
      expect(admin?.passwordHash).not.toContain(password);
    } finally {
      await db.$disconnect();
    }
    const second = await start({ DATABASE_URL: url });
    expect(second.stdout()).not.toContain('password:');
    expect((await login(second, 'admin', password)).status).toBe(200);
  });

  it('shuts down gracefully on SIGTERM: in-flight requests finish, then it exits 0', async () => {
    const { url } = await fresh();
    const server = await start({ DATABASE_URL: url, ...adminEnv });
    // Logins cost tens of milliseconds of scrypt each: these are in flight together.
    const inflight = Array.from({ length: 16 }, (_, i) =>
      login(server, 'first.admin', i % 2 ? adminEnv.ADMIN_PASSWORD : 'a wrong password!').then(
        async (r) => ({ status: r.status, body: await r.json() }),
        (error: Error) => ({ status: 0, body: String(error.cause ?? error) }),
      ),
    );
    await new Promise((r) => setTimeout(r, 150));
    const exit = server.stop('SIGTERM');
    const answers = await Promise.all(inflight);
    expect(await exit).toBe(0);
    for (const answer of answers) {
      expect([200, 401, 429]).toContain(answer.status);
      expect(typeof answer.body).toBe('object');
    }
    const messages = server.logLines().map((l) => l.msg);
    expect(messages).toContain('shutting down');
    expect(messages.at(-1)).toBe('stopped');
    // Some requests were still running when the signal came, and were answered.
    expect(messages.slice(messages.indexOf('shutting down')).filter((m) => m === 'request').length).toBeGreaterThan(0);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });

  it('exits 0 on SIGINT', async () => {
    const { url } = await fresh();
    const server = await start({ DATABASE_URL: url, ...adminEnv });
    expect(await server.stop('SIGINT')).toBe(0);
  });
});

describe('start-up failures', () => {
  it('stop with a message naming the bad variable, without a stack trace', async () => {
    const { code, err } = await failedStart({ PORT: 'abc', VIEW_APIS: 'perhaps' });
    expect(code).toBe(1);
    expect(err).toContain('PORT');
    expect(err).toContain('VIEW_APIS');
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('stop quickly with a clear message when the database cannot be reached', async () => {
    const started = Date.now();
    const { code, err } = await failedStart({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nothing' });
    expect(code).toBe(1);
    expect(err).toContain('could not migrate the postgresql database');
    expect(err).not.toMatch(/\n\s+at /);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe.runIf(testProviders.includes('postgresql'))('readiness on postgresql', () => {
  afterAll(killAll);

  it('fails (503) while the database is unreachable; liveness stays up', async () => {
    const database = await freshDatabase('postgresql');
    const server = await startServerProcess({ DATABASE_URL: database.url, ...adminEnv });
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      // Take the database away under the server's feet.
      const name = new URL(database.url).pathname.slice(1);
      const admin = new pg.Client({ connectionString: postgresAdminUrl });
      await admin.connect();
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      const started = Date.now();
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'unavailable', database: 'unreachable' });
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      // And back: ready again without a restart.
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
      await expect.poll(async () => (await fetch(`${server.url}/readyz`)).status, { timeout: 10_000 }).toBe(200);
    } finally {
      await server.stop('SIGKILL');
      await database.drop();
    }
  });
});
