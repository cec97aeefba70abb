import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditEventsPageDocument,
  type AuditEventsPageQuery,
  type AuditEventsPageQueryVariables,
} from '../generated/operations.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

type Node = AuditEventsPageQuery['auditEventsConnection']['edges'][number]['node'];

const t0 = Date.parse('2030-07-01T00:00:00.000Z');
const actions = ['a_b.x', 'aXb.x', 'a%b.x', 'A_B.x', 'a_b'];

describe.each(testProviders)('auditEventsConnection on %s', (provider) => {
  let app: TestApp;
  let admin: string;
  /** The test's own events (targetType Probe), oldest first as the contract orders them. */
  let probes: Node[] = [];

  const page = (variables: AuditEventsPageQueryVariables, token = admin) =>
    app.request(AuditEventsPageDocument, variables, token);

  async function pageThrough(variables: AuditEventsPageQueryVariables, first: number) {
    const nodes: Node[] = [];
    let after: string | null = null;
    for (let i = 0; i < 200; i++) {
      const { status, body } = await page({ ...variables, first, after });
      expect({ status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
      const connection = body.data?.auditEventsConnection;
      if (!connection) throw new Error('no connection');
      nodes.push(...connection.edges.map((e) => e.node));
      if (!connection.pageInfo.hasNextPage) return nodes;
      after = connection.pageInfo.endCursor ?? null;
    }
    throw new Error('too many pages');
  }

  beforeAll(async () => {
    app = await startTestApp(provider);
    admin = await app.login(adminUserName, adminPassword);
    // 30 events, three to an instant (ties on `at`), written out of time order.
    for (let i = 0; i < 30; i++) {
      await app.db.auditEvent.create({
        data: {
          at: new Date(t0 + ((i * 7) % 10) * 1000),
          action: actions[i % actions.length] as string,
          actorType: 'SYSTEM',
          actorLabel: i % 2 ? 'odd' : 'even',
          targetType: 'Probe',
          targetId: String(i % 4),
        },
      });
    }
    probes = (
      await app.db.auditEvent.findMany({ where: { targetType: 'Probe' }, orderBy: [{ at: 'asc' }, { id: 'asc' }] })
    )
      .map((e) => ({ ...e, id: String(e.id), at: e.at.toISOString() }))
      .map(({ id, at, action, actorLabel, targetType, targetId }) => ({
        id,
        at,
        action,
        actorLabel,
        targetType,
        targetId,
      }));
  });
  afterAll(() => app?.close());

  /** Newest first, ties by id ascending (the engine's rule for every ordering). */
  const newestFirst = (events: Node[]) =>
    [...events].sort((a, b) => b.at.localeCompare(a.at) || Number(a.id) - Number(b.id)).map((e) => e.id);

  it('pages newest first by default, and oldest first with AT ASC, through ties', async () => {
    for (const first of [4, 1]) {
      const desc = await pageThrough({ filter: { targetType: 'Probe' } }, first);
      expect(desc.map((e) => e.id)).toEqual(newestFirst(probes));
      const asc = await pageThrough(
        { filter: { targetType: 'Probe' }, orderBy: { field: 'AT', direction: 'ASC' } },
        first,
      );
      expect(asc.map((e) => e.id)).toEqual(probes.map((e) => e.id));
    }
  });

  it('filters as auditEvents does: literal action prefixes, actor, target, time range', async () => {
    const ids = async (filter: AuditEventsPageQueryVariables['filter']) =>
      (await pageThrough({ filter: { targetType: 'Probe', ...filter } }, 50)).map((e) => e.id).sort();
    const where = (keep: (e: Node) => boolean) =>
      probes
        .filter(keep)
        .map((e) => e.id)
        .sort();
    expect(await ids({ action: 'a_b.' })).toEqual(where((e) => e.action === 'a_b.x'));
    expect(await ids({ action: 'a%b.' })).toEqual(where((e) => e.action === 'a%b.x'));
    expect(await ids({ action: 'a_b' })).toEqual(where((e) => e.action === 'a_b'));
    expect(await ids({ actor: 'odd' })).toEqual(where((e) => e.actorLabel === 'odd'));
    expect(await ids({ targetId: '3' })).toEqual(where((e) => e.targetId === '3'));
    const since = new Date(t0 + 3000).toISOString();
    const until = new Date(t0 + 5000).toISOString();
    expect(await ids({ since, until })).toEqual(where((e) => e.at >= since && e.at <= until));
    // The server's own events are there too, by their real actions.
    const logins = await pageThrough({ filter: { action: 'auth.login.' } }, 50);
    expect(logins.length).toBeGreaterThan(0);
    expect(logins.every((e) => e.action.startsWith('auth.login.'))).toBe(true);
  });

  it('refuses bad sizes, the old page cursor and cursors of the other direction (BAD_USER_INPUT)', async () => {
    const first = await page({ first: 1 });
    const desc = first.body.data?.auditEventsConnection.pageInfo.endCursor ?? '';
    const errorOf = async (variables: AuditEventsPageQueryVariables) => {
      const { status, body } = await page(variables);
      return { status, code: body.errors?.[0]?.extensions?.code, field: body.errors?.[0]?.extensions?.field };
    };
    const bad = { status: 400, code: 'BAD_USER_INPUT' };
    expect(await errorOf({ first: 501 })).toEqual({ ...bad, field: 'first' });
    expect(await errorOf({ after: '12' })).toEqual({ ...bad, field: 'after' });
    expect(await errorOf({ after: desc, orderBy: { field: 'AT', direction: 'ASC' } })).toEqual({
      ...bad,
      field: 'after',
    });
    expect(await errorOf({ filter: { since: 'not a date' } })).toMatchObject({ status: 400 });
  });

  it('is for administrators: auditors and anonymous callers are refused, an administrator’s script is not', async () => {
    await app.createUser('otto.auditor', ['AUDITOR']);
    const auditor = await app.login('otto.auditor', userPassword);
    const refused = await page({}, auditor);
    expect({ status: refused.status, code: refused.body.errors?.[0]?.extensions?.code }).toEqual({
      status: 403,
      code: 'FORBIDDEN',
    });
    expect((await app.request(AuditEventsPageDocument, {})).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // Reading the trail is not for people only (the policy's readAuditEvents), as with auditEvents.
    const { body } = await app.graphql<{ createServiceAccount: { token: string } }>(
      'mutation { createServiceAccount(input: { durationDays: 5, purpose: "trail reader", roles: [ADMINISTRATOR] }) { token } }',
      {},
      admin,
    );
    const script = await page({ first: 1 }, body.data?.createServiceAccount.token);
    expect({ status: script.status, errors: script.body.errors }).toEqual({ status: 200, errors: undefined });
  });

  it('keeps the deprecated auditEvents page as it was: newest id first, its own cursor', async () => {
    const { status, body } = await app.graphql<{
      auditEvents: { nodes: { id: string }[]; hasNextPage: boolean; endCursor: string };
    }>('{ auditEvents(first: 3, filter: { action: "a_b." }) { nodes { id } hasNextPage endCursor } }', {}, admin);
    expect(status).toBe(200);
    const expected = probes
      .filter((e) => e.action === 'a_b.x')
      .map((e) => Number(e.id))
      .sort((a, b) => b - a);
    expect(body.data?.auditEvents.nodes.map((n) => Number(n.id))).toEqual(expected.slice(0, 3));
    expect(body.data?.auditEvents.endCursor).toBe(String(expected[2]));
    expect(body.data?.auditEvents.hasNextPage).toBe(true);
  });
});
