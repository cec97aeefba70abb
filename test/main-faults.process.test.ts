import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, postgresAdminUrl, testProviders } from './support/databases.ts';
import { killAll, type ServerProcess, startServerProcess } from './support/process.ts';
import { writeLoop } from './support/write-load.ts';

const admin = { ADMIN_USERNAME: 'fault.admin', ADMIN_PASSWORD: 'fault admin password' };

async function token(server: ServerProcess): Promise<string> {
  const response = await fetch(`${server.url}/api/authentication/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userName: admin.ADMIN_USERNAME, password: admin.ADMIN_PASSWORD }),
  });
  return (await response.json()).auth_token;
}

afterAll(killAll);

describe.runIf(testProviders.includes('postgresql'))('PostgreSQL going away under load', () => {
  it('fails fast with 503 while it is away, recovers by itself, and loses no acknowledged write', async () => {
    const database = await freshDatabase('postgresql');
    const name = new URL(database.url).pathname.slice(1);
    const server = await startServerProcess({ DATABASE_URL: database.url, ...admin });
    const adminClient = new pg.Client({ connectionString: postgresAdminUrl });
    await adminClient.connect();
    try {
      const bearer = await token(server);
      const load = writeLoop(server, bearer, 'Under load');
      // However slow the machine, cut only once at least 10 writes were acknowledged.
      await expect
        .poll(() => load.outcomes.filter((o) => o.status === 200).length, { timeout: 30_000, interval: 50 })
        .toBeGreaterThanOrEqual(10);

      // Take the database away: no new connections, and the open ones cut.
      await adminClient.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
      await adminClient.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      const cutAt = load.outcomes.length;
      // Down for 2 s at least, and until a few writes were refused (each may take up to the pool's 5 s
      // connection timeout).
      await new Promise((r) => setTimeout(r, 2000));
      await expect
        .poll(() => load.outcomes.slice(cutAt).filter((o) => o.status !== 200).length, {
          timeout: 30_000,
          interval: 50,
        })
        .toBeGreaterThanOrEqual(3);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      const whileDown = load.outcomes.slice(cutAt);

      await adminClient.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
      const restoredAt = load.outcomes.length;
      await expect
        .poll(() => load.outcomes.slice(restoredAt).some((o) => o.status === 200), { timeout: 30_000, interval: 100 })
        .toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      await load.stop();

      // While down: refusals, not hangs, and never a 500. A request left hanging would get the request
      // timeout's 503 REQUEST_TIMEOUT after 30 s instead (or, failing that, no answer: status 0).
      const refused = whileDown.filter((o) => o.status !== 200);
      expect(refused.length).toBeGreaterThan(0);
      // On failure, say what the server logged as unexpected.
      const unexpected = server.logLines().filter((l) => (l as { msg?: string }).msg === 'unexpected error');
      expect(unexpected.map((l) => JSON.stringify(l).slice(0, 600))).toEqual([]);
      // A write whose connection was cut as its COMMIT went out, while the database could not be asked
      // what became of it, says so (OUTCOME_UNKNOWN); every other refusal says "not done".
      const answers = new Set(refused.map((o) => `${o.status} ${o.code}`));
      answers.delete('500 OUTCOME_UNKNOWN');
      expect([...answers]).toEqual(['503 SERVICE_UNAVAILABLE']);
      // The pool gives up connecting after 5 s; 25 s (5x that) is generous for a loaded machine, yet
      // still below the 30 s request timeout.
      expect(Math.max(...whileDown.map((o) => o.ms))).toBeLessThan(25_000);
      expect(load.outcomes.every((o) => o.status === 200 || o.status === 503 || o.code === 'OUTCOME_UNKNOWN')).toBe(
        true,
      );
      // "Not done" is true: no refused write was saved.
      const notDone = load.outcomes.filter((o) => o.status === 503).map((o) => o.title);

      // Every acknowledged write is there.
      const acknowledged = load.outcomes.filter((o) => o.status === 200);
      expect(acknowledged.length).toBeGreaterThanOrEqual(10);
      const check = new pg.Client({ connectionString: database.url });
      await check.connect();
      const stored = await check.query<{ id: number; title: string }>('SELECT id, title FROM "Issue"');
      await check.end();
      const byId = new Map(stored.rows.map((r) => [r.id, r.title]));
      for (const o of acknowledged) expect(byId.get(o.id ?? -1)).toBe(o.title);
      const savedTitles = new Set(byId.values());
      expect(notDone.filter((title) => savedTitles.has(title))).toEqual([]);
    } finally {
      await adminClient.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`).catch(() => {});
      await adminClient.end();
      await server.stop('SIGKILL');
      await database.drop();
    }
  }, 180_000);
});

describe('SQLite and a killed process', () => {
  it('opens intact after SIGKILL in the middle of writes, with every acknowledged write', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'grc-kill-')), 'kill.db');
    const server = await startServerProcess({ DATABASE_URL: `file:${file}`, ...admin });
    const bearer = await token(server);
    const writers = [writeLoop(server, bearer, 'A'), writeLoop(server, bearer, 'B'), writeLoop(server, bearer, 'C')];
    // However slow the machine, kill only once at least 10 writes were acknowledged (the writers go on).
    await expect
      .poll(() => writers.flatMap((w) => w.outcomes).filter((o) => o.status === 200).length, {
        timeout: 30_000,
        interval: 20,
      })
      .toBeGreaterThanOrEqual(10);
    server.child.kill('SIGKILL');
    await server.exited;
    await Promise.all(writers.map((w) => w.stop()));

    const db = new Database(file);
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const acknowledged = writers.flatMap((w) => w.outcomes).filter((o) => o.status === 200);
      expect(acknowledged.length).toBeGreaterThanOrEqual(10);
      const titles = new Map(
        (db.prepare('SELECT id, title FROM "Issue"').all() as { id: number; title: string }[]).map((r) => [
          r.id,
          r.title,
        ]),
      );
      for (const o of acknowledged) expect(titles.get(o.id ?? -1)).toBe(o.title);
    } finally {
      db.close();
    }
  }, 90_000);
});
