import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createDb, type Db, sqlitePath } from '../src/db/client.ts';
import { migrationsList } from '../src/db/migrate.ts';
import { freshDatabase, postgresAdminUrl, type TestDatabase, testProviders } from './support/databases.ts';
import { failedStart, killAll, type ServerProcess, startServerProcess } from './support/process.ts';

const admin = { ADMIN_USERNAME: 'first.admin', ADMIN_PASSWORD: 'an initial admin password' };

afterAll(killAll);

function login(server: ServerProcess, userName: string, password: string): Promise<Response> {
  return fetch(`${server.url}/api/authentication/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userName, password }),
  });
}

const messages = (server: ServerProcess) => server.logLines().map((l) => l.msg);
const logged = (server: ServerProcess, msg: string) => server.logLines().find((l) => l.msg === msg);

/**
 * Checks that the server logged the signal, then `stopped` as its last line; answers when it began
 * shutting down. By time, not by position in stdout: pino writes asynchronously and main.ts exits
 * right after `stopped`, so the last lines can reach the pipe out of order.
 */
function expectStoppedAfter(server: ServerProcess, signal: NodeJS.Signals): number {
  const lines = server.logLines();
  expect(logged(server, 'shutting down')).toMatchObject({ signal });
  expect(messages(server)).toContain('stopped');
  const shuttingDown = Number(logged(server, 'shutting down')?.time);
  const stopped = Number(logged(server, 'stopped')?.time);
  expect(stopped).toBeGreaterThanOrEqual(shuttingDown);
  expect(stopped).toBe(Math.max(...lines.map((l) => Number(l.time))));
  return shuttingDown;
}

/** Reads the database with a client of our own (the server process has its own). */
async function withDb<T>(url: string, work: (db: Db) => Promise<T>): Promise<T> {
  const { db } = createDb(url, { poolSize: 1 });
  try {
    return await work(db);
  } finally {
    await db.$disconnect();
  }
}

interface Exchange {
  /** Settles once the whole request has been written to the connection (or the connection failed). */
  sent: Promise<void>;
  /** The status and whole body, or the code of a refused or reset connection; rejects when the body is cut off. */
  answer: Promise<{ status: number; body: string; at: number } | { error: string }>;
}

/** POSTs a login on a connection of its own, with node:http: unlike fetch, it tells when the request is sent. */
function sendLogin(server: ServerProcess, userName: string, password: string): Exchange {
  const payload = JSON.stringify({ userName, password });
  const request = httpRequest(`${server.url}/api/authentication/login`, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
  });
  const sent = new Promise<void>((resolve) => {
    request.once('finish', resolve);
    request.once('error', () => resolve());
  });
  const answer = new Promise<Awaited<Exchange['answer']>>((resolve, reject) => {
    request.once('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? String(error) }));
    request.once('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.once('end', () => resolve({ status: response.statusCode ?? 0, body, at: Date.now() }));
      const cutOff = () => reject(new Error(`answer cut off after ${body.length} characters: ${body}`));
      response.once('error', cutOff);
      response.once('close', () => {
        if (!response.complete) cutOff();
      });
    });
  });
  request.end(payload);
  return { sent, answer };
}

/** A stack trace line, as Node prints an uncaught error. */
const stackTrace = /^\s+at /m;

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
    if (provider === 'sqlite') expect(existsSync(sqlitePath(url))).toBe(false);
    const first = await start({ DATABASE_URL: url, ...admin });
    const committed = migrationsList(provider).migrationDirectories.map((d) => d.path);
    expect(committed.length).toBeGreaterThan(0);
    expect(logged(first, 'migrations applied')).toMatchObject({ applied: committed, provider });

    const health = await fetch(`${first.url}/healthz`);
    expect(health.status).toBe(200);
    const { version } = await health.json();
    expect(version).toEqual(expect.any(String));
    const ready = await fetch(`${first.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      database: 'ok',
      provider,
      limits: { store: 'memory', state: 'per-instance' },
      viewApis: true,
      version,
    });
    const graphql = await fetch(`${first.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ version }' }),
    });
    expect(graphql.status).toBe(200);
    expect(await graphql.json()).toEqual({ data: { version } });
    expect(await first.stop()).toBe(0);

    // Other bootstrap credentials: were a second administrator made, this one would be it.
    const second = await start({
      DATABASE_URL: url,
      ADMIN_USERNAME: 'second.admin',
      ADMIN_PASSWORD: 'another password!',
    });
    expect(logged(second, 'database schema up to date')).toMatchObject({ applied: [], provider });
    expect(messages(second)).not.toContain('migrations applied');
    expect(messages(second)).not.toContain('first administrator created');
    expect((await login(second, 'second.admin', 'another password!')).status).toBe(401);
    expect((await login(second, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD)).status).toBe(200);
    expect(await second.stop()).toBe(0);
    const users = await withDb(url, (db) => db.user.findMany({ select: { userName: true } }));
    expect(users).toEqual([{ userName: admin.ADMIN_USERNAME }]);
  }, 60_000);

  it('creates the first administrator from ADMIN_USERNAME and ADMIN_PASSWORD, never printing the password', async () => {
    const { url } = await fresh();
    const server = await start({ DATABASE_URL: url, ...admin });
    expect(logged(server, 'first administrator created')).toMatchObject({
      userName: admin.ADMIN_USERNAME,
      generatedPassword: false,
    });
    const response = await login(server, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ roles: ['ADMINISTRATOR'], id: expect.any(String) });
    expect(body.auth_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect((await login(server, admin.ADMIN_USERNAME, 'not the password')).status).toBe(401);
    expect(await server.stop()).toBe(0);
    expect(server.stdout()).not.toContain('password:');
    expect(server.stdout()).not.toContain(admin.ADMIN_PASSWORD);
    expect(server.stderr()).not.toContain(admin.ADMIN_PASSWORD);
  });

  it('creates the first administrator with a random password shown once, in the banner only', async () => {
    const { url } = await fresh();
    const first = await start({ DATABASE_URL: url });
    const banner = /^ {3}user name: (\S+)\n {3}password: {2}(\S+)$/m.exec(first.stdout());
    expect(banner?.[1]).toBe('admin');
    const password = banner?.[2] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(logged(first, 'first administrator created')).toMatchObject({ userName: 'admin', generatedPassword: true });
    expect((await login(first, 'admin', password)).status).toBe(200);
    expect(await first.stop()).toBe(0);
    // Exactly once in stdout (the banner), in no JSON log line, not on stderr.
    expect(first.stdout().split(password)).toHaveLength(2);
    expect(first.logLines().filter((l) => JSON.stringify(l).includes(password))).toEqual([]);
    expect(first.stderr()).not.toContain(password);

    const [stored] = await withDb(url, (db) => db.user.findMany({ select: { passwordHash: true } }));
    expect(stored?.passwordHash).toMatch(/^\$scrypt\$/);
    expect(stored?.passwordHash).not.toContain(password);

    const second = await start({ DATABASE_URL: url });
    expect((await login(second, 'admin', password)).status).toBe(200);
    expect(await second.stop()).toBe(0);
    expect(second.stdout()).not.toContain('password:');
    expect(second.stdout()).not.toContain(password);
    expect(messages(second)).not.toContain('first administrator created');
  }, 60_000);

  it('shuts down gracefully on SIGTERM: requests in flight get whole answers, then it exits 0', async () => {
    const { url } = await fresh();
    // Finishing the burst takes 2-4 s of scrypt here; a deadline about 10x that is not reached, even loaded.
    const shutdownTimeoutMs = 30_000;
    const server = await start({ DATABASE_URL: url, ...admin, SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) });
    // Warm up first: a cold first request blocks the event loop long enough that the burst would still
    // be waiting to be accepted at the signal (and connections never accepted are reset, not served).
    expect((await login(server, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD)).status).toBe(200);
    // Each login costs tens of milliseconds of scrypt, so most of these are still running at the
    // signal. Wrong ones use distinct unknown user names: no user name reaches the lock-out threshold.
    const exchanges = Array.from({ length: 20 }, (_, i) =>
      i % 2
        ? { expected: 200, ...sendLogin(server, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD) }
        : { expected: 401, ...sendLogin(server, `nobody.${i}`, 'not the password') },
    );
    await Promise.all(exchanges.map((e) => e.sent));
    // Signal once the server is serving the burst (a fixed pause may end before a loaded machine even
    // accepts the connections): one answer is back, the rest are still hashing.
    await Promise.race(exchanges.map((e) => e.answer));
    const signalledAt = Date.now();
    const code = await server.stop('SIGTERM', shutdownTimeoutMs + 10_000);
    // A cut-off answer rejects here, failing the test.
    const outcomes = await Promise.all(exchanges.map(async (e) => ({ expected: e.expected, ...(await e.answer) })));

    expect(code).toBe(0);
    const answers = outcomes.filter((o) => 'status' in o);
    for (const answer of answers) {
      expect(answer.status).toBe(answer.expected);
      const body = JSON.parse(answer.body);
      if (answer.status === 200) expect(body.auth_token).toEqual(expect.any(String));
      else expect(body.error.message).toEqual(expect.any(String));
    }
    // Connections still waiting to be accepted when the listener closes are reset by the kernel:
    // refused, not answered, and not left hanging.
    for (const refused of outcomes.filter((o) => 'error' in o)) {
      expect(['ECONNREFUSED', 'ECONNRESET']).toContain(refused.error);
    }
    // Some requests were still running at the signal, and were answered all the same.
    expect(answers.filter((a) => a.at > signalledAt).length).toBeGreaterThan(0);

    const shutdownAt = expectStoppedAfter(server, 'SIGTERM');
    const requests = server.logLines().filter((l) => l.msg === 'request');
    expect(requests.filter((l) => Number(l.time) > shutdownAt).length).toBeGreaterThan(0);
    // Every answer the server sent arrived: none was lost with its connection (the warm-up is one more).
    expect(requests.filter((l) => l.path === '/api/authentication/login')).toHaveLength(answers.length + 1);
    // Graceful: it exited before its shutdown deadline, as its log tells (not the wall clock).
    expect(messages(server)).not.toContain('shutdown timeout: closing remaining connections');
    expect(server.stderr()).toBe('');
    await expect(fetch(`${server.url}/healthz`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
  }, 90_000);

  it('exits 0 on SIGINT', async () => {
    const { url } = await fresh();
    const server = await start({ DATABASE_URL: url, ...admin });
    expect(await server.stop('SIGINT')).toBe(0);
    expectStoppedAfter(server, 'SIGINT');
  });

  // SQLite is a file the process opens itself: there is no server to lose, and an open file
  // stays readable even when deleted, so "the database is unreachable" has no SQLite equivalent.
  it.skipIf(provider === 'sqlite')('is not ready (503) once the database is gone; liveness stays up', async () => {
    const database = await fresh();
    const server = await start({ DATABASE_URL: database.url, ...admin });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    const adminClient = new pg.Client({ connectionString: postgresAdminUrl });
    await adminClient.connect();
    try {
      // FORCE ends the server's open connections; new ones find no database.
      await adminClient.query(`DROP DATABASE ${new URL(database.url).pathname.slice(1)} WITH (FORCE)`);
    } finally {
      await adminClient.end();
    }
    const droppedAt = Date.now();
    const ready = await fetch(`${server.url}/readyz`);
    // Does not hang: the probe gives up on the database after 2 s, and normally answers at once
    // (refused); 15 s is over 5x that, within the test's 30 s timeout.
    expect(Date.now() - droppedAt).toBeLessThan(15_000);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', database: 'unreachable', provider });
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    // Still a clean exit: closing a pool whose database is gone must not hang or crash.
    expect(await server.stop()).toBe(0);
  });
});

describe('start-up failures', () => {
  it('a bad variable stops the server with exit code 1 and a message naming it, without a stack trace', async () => {
    const database = await freshDatabase('sqlite');
    try {
      const { code, out, err } = await failedStart({ DATABASE_URL: database.url, PORT: 'abc' });
      expect(code).toBe(1);
      expect(err).toMatch(/^grc-api: Invalid configuration:\n\s+PORT: /);
      expect(err).not.toMatch(stackTrace);
      expect(out).toBe('');
      // It stopped before touching the database.
      expect(existsSync(sqlitePath(database.url))).toBe(false);
    } finally {
      await database.drop();
    }
  });

  it('a database that cannot be reached stops the server quickly with exit code 1 and a clear message', async () => {
    const startedAt = Date.now();
    const { code, out, err } = await failedStart({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/x' }, 40_000);
    expect(code).toBe(1);
    expect(err).toMatch(/^grc-api: could not migrate the postgresql database: .*ECONNREFUSED/);
    expect(err).not.toMatch(stackTrace);
    expect(out).not.toContain('"msg":"listening"');
    // Quickly: no retrying. It takes about 2 s (mostly starting node); 30 s is over 10x that.
    expect(Date.now() - startedAt).toBeLessThan(30_000);
  }, 60_000);
});
