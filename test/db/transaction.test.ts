import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { writeAudit } from '../../src/audit/writer.ts';
import { loadConfig } from '../../src/config.ts';
import { createDb, type Db } from '../../src/db/client.ts';
import { transact } from '../../src/db/transaction.ts';
import { AppError, toAppError } from '../../src/errors.ts';
import { Deadline, deadlineOf } from '../../src/http/deadline.ts';
import { withRequestTimeout } from '../../src/http/request-timeout.ts';
import { migratedDatabase, postgresAdminUrl, type TestDatabase, testProviders } from '../support/databases.ts';

const quiet = { warn() {}, error() {} };

describe.each(testProviders)('transact on %s', (provider) => {
  let database: TestDatabase | undefined;
  let db: Db | undefined;
  afterEach(async () => {
    await db?.$disconnect();
    await database?.drop();
    db = undefined;
    database = undefined;
  });

  async function setup(requestTimeoutMs = 30_000) {
    database = await migratedDatabase(provider);
    db = createDb(database.url).db;
    const config = loadConfig({ DATABASE_URL: database.url, REQUEST_TIMEOUT_MS: String(requestTimeoutMs) });
    return { database, db, config };
  }
  const count = (d: Db) => d.auditEvent.count();
  const insert = (tx: Pick<Db, 'auditEvent'>, action: string) =>
    writeAudit(tx, { action, actor: { type: 'ANONYMOUS' } });

  it('commits a change made within the deadline', async () => {
    const { db, config } = await setup();
    const deadline = new Deadline(Date.now() + 30_000);
    await transact({ db, config, deadline, requestId: 'r1' }, (tx) => insert(tx, 'kept'));
    expect(await count(db)).toBe(1);
    expect(deadline.committed).toBe(1);
    expect(deadline.committing).toBe(0);
  });

  it('rolls back a change whose deadline passed while it worked, and says nothing was saved', async () => {
    const { db, config } = await setup();
    const deadline = new Deadline(Date.now() + 30_000);
    const attempt = transact({ db, config, deadline, requestId: 'r2' }, async (tx) => {
      await insert(tx, 'too late');
      // The request timeout answers "not done" while the work is still going.
      deadline.expired = true;
      await insert(tx, 'too late, again');
    });
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('REQUEST_TIMEOUT');
    expect((error as AppError).message).toMatch(/nothing was saved/);
    expect(await count(db)).toBe(0);
    expect(deadline.committed).toBe(0);
  });

  it('does not begin a transaction when no time is left', async () => {
    const { db, config } = await setup(1000);
    const deadline = new Deadline(Date.now() + 50);
    let ran = false;
    const error = await transact({ db, config, deadline, requestId: 'r3' }, async (tx) => {
      ran = true;
      await insert(tx, 'never');
    }).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('REQUEST_TIMEOUT');
    expect(ran).toBe(false);
    expect(await count(db)).toBe(0);
  });

  it('runs a Serializable transaction that lost a race again, so concurrent writers all succeed', async () => {
    const { db, config } = await setup();
    // Each reads what the others write (write skew): under Serializable, all but one fail with a
    // serialization failure each round, and are run again.
    const writers = Array.from({ length: 4 }, (_, i) =>
      transact(
        { db, config, requestId: `s${i}` },
        async (tx) => {
          const seen = await tx.auditEvent.count();
          await insert(tx, `seen ${seen}`);
        },
        { isolationLevel: 'Serializable' },
      ),
    );
    const results = await Promise.allSettled(writers);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    // Serializable: as if one after another, each saw the ones before it.
    const actions = (await db.auditEvent.findMany({ select: { action: true } })).map((e) => e.action).sort();
    expect(actions).toEqual(['seen 0', 'seen 1', 'seen 2', 'seen 3']);
  });

  it('ends a transaction that outlives its time limit, and rolls it back', async () => {
    const { db, config } = await setup(4000); // a transaction may take 2 s
    const error = await transact({ db, config, requestId: 'r4' }, async (tx) => {
      await insert(tx, 'slow');
      await new Promise((r) => setTimeout(r, 5000));
      await insert(tx, 'slower');
    }).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('REQUEST_TIMEOUT');
    expect(await count(db)).toBe(0);
  });
});

describe.runIf(testProviders.includes('postgresql'))('a PostgreSQL connection cut as the COMMIT goes out', () => {
  let database: TestDatabase | undefined;
  let db: Db | undefined;
  let admin = new pg.Client({ connectionString: postgresAdminUrl });
  afterEach(async () => {
    if (database) {
      const name = new URL(database.url).pathname.slice(1);
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`).catch(() => {});
    }
    await admin.end().catch(() => {});
    await db?.$disconnect().catch(() => {});
    await database?.drop();
  });

  /** Cuts the transaction's own connection once its work is done, just before COMMIT. */
  async function cutBeforeCommit(refuseConnections: boolean) {
    database = await migratedDatabase('postgresql');
    const name = new URL(database.url).pathname.slice(1);
    db = createDb(database.url).db;
    admin = new pg.Client({ connectionString: postgresAdminUrl });
    await admin.connect();
    const config = loadConfig({ DATABASE_URL: database.url });
    const deadline = new Deadline(Date.now() + 30_000);
    const result = await transact({ db, config, deadline, requestId: 'cut' }, async (tx) => {
      await writeAudit(tx, { action: 'cut', actor: { type: 'ANONYMOUS' } });
      const pid = ((await tx.$queryRawUnsafe('SELECT pg_backend_pid() AS pid')) as { pid: number }[])[0]?.pid;
      if (refuseConnections) await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
      // Every connection of the database, so that nobody can ask it what became of the COMMIT.
      await admin.query(
        refuseConnections
          ? 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1'
          : 'SELECT pg_terminate_backend($2) FROM pg_stat_activity WHERE datname = $1 LIMIT 1',
        refuseConnections ? [name] : [name, pid],
      );
      // Gone before the COMMIT is sent.
      for (let i = 0; i < 100; i++) {
        const alive = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
        if (alive.rowCount === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }).then(
      () => 'saved' as const,
      (error: unknown) => toAppError(error, 'cut', quiet).code,
    );
    await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
    const check = new pg.Client({ connectionString: database.url });
    await check.connect();
    const saved = Number((await check.query('SELECT count(*) AS n FROM "AuditEvent"')).rows[0].n);
    await check.end();
    return { result, saved, deadline };
  }

  it('asks the database what became of it: aborted, so "not done" (503) and nothing saved', async () => {
    const { result, saved, deadline } = await cutBeforeCommit(false);
    expect(result).toBe('SERVICE_UNAVAILABLE');
    expect(saved).toBe(0);
    expect(deadline.committing).toBe(0);
  });

  it('says OUTCOME_UNKNOWN when the database cannot be asked', async () => {
    const { result, saved } = await cutBeforeCommit(true);
    expect(result).toBe('OUTCOME_UNKNOWN');
    expect(saved).toBe(0); // in truth it was not saved; the server could not know that
  });
});

describe('the request timeout and a COMMIT in flight', () => {
  /** A server whose handler marks a COMMIT in flight and then hangs (or ends it after `endAfterMs`). */
  async function serve(timeoutMs: number, graceMs: number, endAfterMs?: number) {
    const server = createServer(
      withRequestTimeout(
        (req, res) => {
          // The deadline is found the way the server adapter finds it.
          const deadline = deadlineOf(req) as Deadline;
          deadline.beginCommit();
          if (endAfterMs !== undefined)
            setTimeout(() => {
              deadline.endCommit(true);
              if (!res.headersSent) res.end(JSON.stringify({ data: { saved: true } }));
            }, endAfterMs);
        },
        timeoutMs,
        { graceMs },
      ),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const answer = await new Promise<{ status: number; body: string; headers: Record<string, unknown> }>(
      (resolve, reject) => {
        const req = httpRequest({ port, path: '/graphql', method: 'POST' }, (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        });
        req.on('error', reject);
        req.end('{}');
      },
    );
    server.close();
    return answer;
  }

  it('waits for the COMMIT and gives the real answer when it settles within the grace', async () => {
    const answer = await serve(100, 5000, 400);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: { saved: true } });
  });

  it('answers OUTCOME_UNKNOWN (500, no Retry-After) when it does not', async () => {
    const answer = await serve(100, 200);
    expect(answer.status).toBe(500);
    expect(answer.headers['retry-after']).toBeUndefined();
    expect(JSON.parse(answer.body).errors[0].extensions.code).toBe('OUTCOME_UNKNOWN');
  });
});
