import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, type ServerProcess, startServerProcess } from './support/process.ts';

const admin = { ADMIN_USERNAME: 'drain.admin', ADMIN_PASSWORD: 'drain admin password' };

interface Outcome {
  title: string;
  /** Whether the request was sent once the test had seen the drain begin. */
  afterDrain: boolean;
  /** Whether it went out on a keep-alive connection opened before (Node's `reusedSocket`). */
  reused: boolean;
  status?: number;
  id?: number;
  connection?: string;
  error?: string;
}

/** One createIssue over the agent's single keep-alive socket. */
function send(server: ServerProcess, agent: Agent, token: string, title: string, afterDrain: boolean) {
  return new Promise<Outcome>((resolve) => {
    const body = JSON.stringify({
      query: 'mutation ($t: String!) { createIssue(input: { title: $t }) { id } }',
      variables: { t: title },
    });
    const req = request(
      `${server.url}/graphql`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          const id = (JSON.parse(text) as { data?: { createIssue?: { id: string } } }).data?.createIssue?.id;
          resolve({
            title,
            afterDrain,
            reused: req.reusedSocket,
            status: res.statusCode,
            id: id === undefined ? undefined : Number(id),
            connection: res.headers.connection,
          });
        });
        res.on('error', (error: NodeJS.ErrnoException) =>
          resolve({ title, afterDrain, reused: req.reusedSocket, error: error.code ?? error.message }),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ title, afterDrain, reused: req.reusedSocket, error: error.code ?? error.message }),
    );
    req.end(body);
  });
}

afterAll(killAll);

describe('draining on SIGTERM', () => {
  it('30 keep-alive writers: no reset on an open connection, every answered write saved, every unanswered one absent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grc-drain-'));
    const file = join(dir, 'drain.db');
    // A drain longer than the test needs: the second SIGTERM ends it, so nothing here depends on time.
    const server = await startServerProcess({
      DATABASE_URL: `file:${file}`,
      ...admin,
      RATE_LIMIT_PER_MINUTE: '0',
      SHUTDOWN_DRAIN_MS: '120000',
      SHUTDOWN_TIMEOUT_MS: '20000',
    });
    try {
      const login = await fetch(`${server.url}/api/authentication/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userName: admin.ADMIN_USERNAME, password: admin.ADMIN_PASSWORD }),
      });
      const token = ((await login.json()) as { auth_token: string }).auth_token;

      let drainSeen = false;
      let gone = false;
      const clients = Array.from({ length: 30 }, (_, c) => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        const outcomes: Outcome[] = [];
        const done = (async () => {
          for (let i = 0; !gone; i++) {
            const outcome = await send(server, agent, token, `client ${c} write ${i}`, drainSeen);
            outcomes.push(outcome);
            // The server stopped listening: this client is done.
            if (outcome.error === 'ECONNREFUSED') break;
          }
          agent.destroy();
        })();
        return { outcomes, done };
      });
      const all = () => clients.flatMap((c) => c.outcomes);

      // Every client has a keep-alive connection in use before the signal.
      await expect
        .poll(() => clients.every((c) => c.outcomes.filter((o) => o.reused && o.status === 200).length >= 2), {
          timeout: 60_000,
          interval: 50,
        })
        .toBe(true);

      server.child.kill('SIGTERM');
      await expect
        .poll(() => server.logLines().some((l) => l.msg === 'shutting down'), { timeout: 30_000, interval: 20 })
        .toBe(true);
      drainSeen = true;

      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { status: string }).status).toBe('draining');

      // Every client gets answers sent during the drain (each on a new connection after the first).
      await expect
        .poll(() => clients.every((c) => c.outcomes.filter((o) => o.afterDrain && o.status === 200).length >= 2), {
          timeout: 60_000,
          interval: 50,
        })
        .toBe(true);

      server.child.kill('SIGTERM'); // ends the drain: stop listening, finish what is in flight, exit
      const code = await server.exited;
      gone = true;
      await Promise.all(clients.map((c) => c.done));
      expect(code).toBe(0);

      const outcomes = all();
      const answered = outcomes.filter((o) => o.status !== undefined);
      const failed = outcomes.filter((o) => o.error !== undefined);
      // Not one request on an already-open connection was reset or cut off.
      expect(failed.filter((o) => o.reused)).toEqual([]);
      // The rest found the listener closed (or, opened at that moment, closed with it).
      for (const o of failed) expect(['ECONNREFUSED', 'ECONNRESET']).toContain(o.error);
      expect(answered.every((o) => o.status === 200)).toBe(true);
      // Answers to requests sent during the drain told the client the connection ends with them.
      const duringDrain = answered.filter((o) => o.afterDrain);
      expect(duringDrain.length).toBeGreaterThanOrEqual(60);
      expect(duringDrain.filter((o) => o.connection !== 'close')).toEqual([]);

      const db = new Database(file, { readonly: true });
      try {
        const stored = new Map(
          (db.prepare('SELECT id, title FROM "Issue"').all() as { id: number; title: string }[]).map((r) => [
            r.title,
            r.id,
          ]),
        );
        for (const o of answered) expect(stored.get(o.title), o.title).toBe(o.id);
        for (const o of failed) expect(stored.has(o.title), o.title).toBe(false);
        expect(stored.size).toBe(answered.length);
      } finally {
        db.close();
      }
      expect(server.logLines().map((l) => l.msg)).not.toContain('shutdown timeout: closing remaining connections');
    } finally {
      await server.stop('SIGKILL').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
