import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { testProviders } from './support/databases.ts';
import { type PrivateCluster, privateClusterUnavailable, startPrivateCluster } from './support/private-postgres.ts';
import { killAll, startServerProcess } from './support/process.ts';
import { writeLoop } from './support/write-load.ts';

/**
 * The truth of every answer while PostgreSQL is frozen (SIGSTOP) and killed
 * (SIGKILL) under write load, on a private cluster of the test's own: an
 * answer that says "done" was saved with its audit event; an answer that
 * says "not done" was not saved; only OUTCOME_UNKNOWN may go either
 * way, and it is counted.
 */

const admin = { ADMIN_USERNAME: 'fault.admin', ADMIN_PASSWORD: 'fault admin password' };
/** Short, so that a freeze outlasts it in a few seconds. */
const requestTimeoutMs = 5000;

if (privateClusterUnavailable) {
  if (process.env.CI === 'true') throw new Error(`CI needs a private PostgreSQL cluster: ${privateClusterUnavailable}`);
  process.stderr.write(`\nPostgreSQL fault tests SKIPPED: ${privateClusterUnavailable}\n\n`);
}

/** Codes that say the write was not made. */
const notDone = new Set([
  'SERVICE_UNAVAILABLE',
  'REQUEST_TIMEOUT',
  'STORAGE_FULL',
  'STORAGE_READ_ONLY',
  'DATABASE_BUSY',
]);

afterAll(killAll);

describe.runIf(testProviders.includes('postgresql') && !privateClusterUnavailable)(
  'PostgreSQL frozen and killed under write load (a private cluster)',
  () => {
    let cluster: PrivateCluster | undefined;
    afterAll(async () => {
      await cluster?.destroy();
    });

    it('answers only the truth: done means saved with its audit event, not done means not saved', async () => {
      cluster = await startPrivateCluster();
      const url = await cluster.createDatabase('faults');
      const server = await startServerProcess({
        DATABASE_URL: url,
        REQUEST_TIMEOUT_MS: String(requestTimeoutMs),
        REVOCATION_NOTIFY: 'false',
        ...admin,
      });
      const login = await fetch(`${server.url}/api/authentication/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userName: admin.ADMIN_USERNAME, password: admin.ADMIN_PASSWORD }),
      });
      const bearer = (await login.json()).auth_token as string;
      let phase = 'up';
      const writers = ['A', 'B', 'C', 'D'].map((p) =>
        writeLoop(server, bearer, p, { phase: () => phase, pauseAfterRefusalMs: 50, pauseAfterFailureMs: 50 }),
      );
      const all = () => writers.flatMap((w) => w.outcomes);
      const acknowledgedSince = (n: number) =>
        all()
          .slice(n)
          .filter((o) => o.status === 200).length;
      const waitForAcks = (from: number, count: number) =>
        expect.poll(() => acknowledgedSince(from), { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(count);

      try {
        await waitForAcks(0, 20);

        // Frozen for longer than the request timeout: every write then in flight is answered (503),
        // and must not be saved when the database wakes up.
        const frozenAt = all().length;
        phase = 'frozen';
        cluster.freeze();
        await new Promise((r) => setTimeout(r, requestTimeoutMs * 2 + 1000));
        cluster.thaw();
        phase = 'thawed';
        const thawedAt = all().length;
        expect(thawedAt).toBeGreaterThan(frozenAt);
        await waitForAcks(thawedAt, 20);

        // Killed outright, then started again (crash recovery).
        phase = 'killed';
        await cluster.kill();
        const killedAt = all().length;
        await expect
          .poll(
            () =>
              all()
                .slice(killedAt)
                .filter((o) => o.status !== 200).length,
            { timeout: 60_000, interval: 50 },
          )
          .toBeGreaterThanOrEqual(4);
        await cluster.start();
        phase = 'restarted';
        await waitForAcks(all().length, 20);
      } finally {
        await Promise.all(writers.map((w) => w.stop()));
      }

      const check = new pg.Client({ connectionString: url });
      await check.connect();
      const issues = await check.query<{ id: number; title: string }>('SELECT id, title FROM "Issue"');
      const audited = await check.query<{ targetId: string }>(
        `SELECT "targetId" FROM "AuditEvent" WHERE action = 'issue.created'`,
      );
      await check.end();
      await server.stop('SIGKILL');

      const saved = new Map(issues.rows.map((r) => [r.title, r.id]));
      const auditedIds = new Set(audited.rows.map((r) => Number(r.targetId)));
      const outcomes = all();
      const byAnswer = new Map<string, number>();
      for (const o of outcomes) {
        const answer = `${o.phase}: ${o.status} ${o.code ?? ''}`.trim();
        byAnswer.set(answer, (byAnswer.get(answer) ?? 0) + 1);
      }
      const acknowledged = outcomes.filter((o) => o.status === 200);
      const refused = outcomes.filter((o) => o.status !== 200 && notDone.has(o.code ?? ''));
      const unknown = outcomes.filter((o) => o.code === 'OUTCOME_UNKNOWN');
      // No answer at all (the connection failed): the client knows nothing, and is told nothing false.
      const unanswered = outcomes.filter((o) => o.status === 0);
      const figures = {
        answers: Object.fromEntries(byAnswer),
        acknowledged: acknowledged.length,
        acknowledgedMissing: acknowledged.filter((o) => saved.get(o.title) !== o.id).length,
        refused: refused.length,
        refusedButSaved: refused.filter((o) => saved.has(o.title)).length,
        outcomeUnknown: unknown.length,
        outcomeUnknownSaved: unknown.filter((o) => saved.has(o.title)).length,
        unanswered: unanswered.length,
        saved: saved.size,
        savedWithoutAudit: [...saved.values()].filter((id) => !auditedIds.has(id)).length,
      };
      process.stdout.write(`\nPostgreSQL freeze and kill under write load: ${JSON.stringify(figures)}\n`);

      // Every request was answered, and never with a 500 or a code that says nothing.
      const unexpected = server.logLines().filter((l) => l.msg === 'unexpected error');
      expect(unexpected.map((l) => JSON.stringify(l).slice(0, 600))).toEqual([]);
      expect(outcomes.length).toBe(acknowledged.length + refused.length + unknown.length + unanswered.length);
      expect(figures.acknowledgedMissing).toBe(0);
      expect(figures.refusedButSaved).toBe(0);
      expect(figures.savedWithoutAudit).toBe(0);
      expect(figures.refused).toBeGreaterThan(0);
    }, 300_000);
  },
);
