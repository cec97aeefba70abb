import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, type ServerProcess, startServerProcess } from '../support/process.ts';

const admin = { ADMIN_USERNAME: 'storage.admin', ADMIN_PASSWORD: 'storage admin password' };

/** Root ignores file modes: the read-only test runs the server as nobody then. */
const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

/** Whether this machine lets the test mount a small tmpfs (root here and in CI). */
function mountProblem(): string | undefined {
  const probe = mkdtempSync(join(tmpdir(), 'grc-mount-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error).trim();
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
const cannotMount = mountProblem();
if (cannotMount && process.env.CI !== 'true') {
  process.stderr.write(`\nCannot mount a tmpfs (${cannotMount}): the disk-full test is SKIPPED.\n\n`);
}

async function login(server: ServerProcess): Promise<Response> {
  return fetch(`${server.url}/api/authentication/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userName: admin.ADMIN_USERNAME, password: admin.ADMIN_PASSWORD }),
  });
}

async function graphql(server: ServerProcess, token: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as {
    data?: Record<string, { id: string } | null> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  return {
    status: response.status,
    code: body.errors?.[0]?.extensions?.code,
    body,
    requestId: response.headers.get('x-request-id') ?? '',
    retryAfter: response.headers.get('retry-after'),
  };
}

const createIssue = (server: ServerProcess, token: string, title: string, description?: string) =>
  graphql(server, token, 'mutation ($i: CreateIssueInput!) { createIssue(input: $i) { id } }', {
    i: { title, ...(description ? { description } : {}) },
  });

async function readyz(server: ServerProcess) {
  const response = await fetch(`${server.url}/readyz`);
  return { status: response.status, body: (await response.json()) as { status: string; database: string } };
}

/** The log lines that reported a refused write for a request, once its request line is written too. */
async function refusals(server: ServerProcess, requestId: string) {
  const ofRequest = () => server.logLines().filter((l) => l.requestId === requestId);
  await expect.poll(() => ofRequest().some((l) => l.msg === 'request'), { timeout: 10_000 }).toBe(true);
  return ofRequest().filter((l) => String(l.msg).startsWith('database refused'));
}

afterAll(killAll);

describe('SQLite storage faults, through a real server', () => {
  it('a read-only database file: reads work, writes and logins answer 503 STORAGE_READ_ONLY, /readyz says read-only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grc-ro-'));
    chmodSync(dir, 0o755);
    if (asUser) chownSync(dir, asUser.uid, asUser.gid);
    const file = join(dir, 'grc.db');
    const env = { DATABASE_URL: `file:${file}`, JWT_KEY_FILE: join(dir, 'jwt-keys.json'), ...admin };
    try {
      const writable = await startServerProcess(env, 30_000, true, asUser);
      const token = ((await (await login(writable)).json()) as { auth_token: string }).auth_token;
      expect((await createIssue(writable, token, 'Saved before')).status).toBe(200);
      expect(await writable.stop()).toBe(0);

      chmodSync(file, 0o444);
      const server = await startServerProcess(env, 30_000, true, asUser);
      const ready = await readyz(server);
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ status: 'unavailable', database: 'read-only' });

      const refused = await createIssue(server, token, 'Not saved');
      expect({ status: refused.status, code: refused.code }).toEqual({ status: 503, code: 'STORAGE_READ_ONLY' });
      expect(refused.retryAfter).toMatch(/^\d+$/);
      const logged = await refusals(server, refused.requestId);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ code: 'STORAGE_READ_ONLY', cause: expect.stringContaining('SQLITE_READONLY') });

      // A login writes its audit event: refused the same way, not a 500 and not a false 401.
      const loginAnswer = await login(server);
      expect(loginAnswer.status).toBe(503);
      expect(((await loginAnswer.json()) as { error: { code: string } }).error.code).toBe('STORAGE_READ_ONLY');

      const read = await graphql(server, token, '{ issues(first: 10) { edges { node { title } } } }');
      expect(read.status, JSON.stringify(read.body)).toBe(200);
      expect(JSON.stringify(read.body.data)).toContain('Saved before');
      expect(JSON.stringify(read.body.data)).not.toContain('Not saved');
      expect(server.logLines().filter((l) => l.msg === 'unexpected error')).toEqual([]);
      await server.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('a write lock held beyond the busy wait answers 503 DATABASE_BUSY without blocking other requests; /readyz says busy; both recover', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grc-busy-'));
    const file = join(dir, 'grc.db');
    const server = await startServerProcess({ DATABASE_URL: `file:${file}`, ...admin });
    try {
      const token = ((await (await login(server)).json()) as { auth_token: string }).auth_token;
      expect((await createIssue(server, token, 'Before the lock')).status).toBe(200);

      const other = new Database(file);
      other.exec('BEGIN IMMEDIATE');
      try {
        const ready = await readyz(server);
        expect(ready.status).toBe(503);
        expect(ready.body.database).toBe('busy');
        // The write waits for the lock without blocking the server: a health check sent after it
        // is answered before it (better-sqlite3 waits synchronously; transact retries asynchronously).
        const order: string[] = [];
        const waiting = createIssue(server, token, 'While locked').then((answer) => {
          order.push('write');
          return answer;
        });
        await new Promise((r) => setTimeout(r, 300));
        const health = await fetch(`${server.url}/healthz`);
        order.push('healthz');
        expect(health.status).toBe(200);
        const refused = await waiting;
        expect(order).toEqual(['healthz', 'write']);
        expect({ status: refused.status, code: refused.code }).toEqual({ status: 503, code: 'DATABASE_BUSY' });
        const logged = await refusals(server, refused.requestId);
        expect(logged).toHaveLength(1);
        expect(logged[0]).toMatchObject({ cause: expect.stringContaining('SQLITE_BUSY') });
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      expect((await createIssue(server, token, 'After the lock')).status).toBe(200);
      expect((await readyz(server)).body).toMatchObject({ status: 'ready', database: 'ok' });
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it.skipIf(cannotMount !== undefined && process.env.CI !== 'true')(
    'a full disk answers 503 STORAGE_FULL (never 500), loses no acknowledged write, and recovers once there is room',
    async () => {
      if (cannotMount) throw new Error(`CI must be able to mount a tmpfs for this test: ${cannotMount}`);
      const mnt = mkdtempSync(join(tmpdir(), 'grc-full-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
      let server: ServerProcess | undefined;
      try {
        const file = join(mnt, 'grc.db');
        server = await startServerProcess({ DATABASE_URL: `file:${file}`, ...admin });
        const token = ((await (await login(server)).json()) as { auth_token: string }).auth_token;
        const saved: string[] = [];
        for (let i = 0; i < 3; i++) {
          expect((await createIssue(server, token, `Room ${i}`)).status).toBe(200);
          saved.push(`Room ${i}`);
        }

        // Fill what is left of the file system.
        const filler = join(mnt, 'filler');
        const fd = openSync(filler, 'w');
        const chunk = Buffer.alloc(64 * 1024);
        try {
          for (;;) writeSync(fd, chunk);
        } catch (error) {
          expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
        } finally {
          closeSync(fd);
        }

        const answers: { status: number; code?: string; requestId: string }[] = [];
        const description = 'A long description. '.repeat(900);
        for (let i = 0; i < 100 && !answers.some((a) => a.status !== 200); i++) {
          const answer = await createIssue(server, token, `Full ${i}`, description);
          answers.push(answer);
          if (answer.status === 200) saved.push(`Full ${i}`);
        }
        const refused = answers.filter((a) => a.status !== 200);
        expect(refused.length).toBeGreaterThan(0);
        expect(refused.map((a) => `${a.status} ${a.code}`)).toEqual(refused.map(() => '503 STORAGE_FULL'));
        const logged = await refusals(server, refused[0]?.requestId ?? '');
        expect(logged).toHaveLength(1);
        expect(logged[0]).toMatchObject({ code: 'STORAGE_FULL', cause: expect.stringContaining('SQLITE_FULL') });

        rmSync(filler);
        expect((await createIssue(server, token, 'Room again')).status).toBe(200);
        saved.push('Room again');
        const read = await graphql(server, token, '{ issues(first: 100) { edges { node { title } } } }');
        expect(read.status, JSON.stringify(read.body)).toBe(200);
        const issues = read.body.data?.issues as unknown as { edges: { node: { title: string } }[] };
        const titles = new Set(issues.edges.map((e) => e.node.title));
        for (const title of saved) expect(titles.has(title), title).toBe(true);
        expect(server.logLines().filter((l) => l.msg === 'unexpected error')).toEqual([]);
      } finally {
        await server?.stop();
        execFileSync('umount', ['-l', mnt]);
        rmSync(mnt, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
