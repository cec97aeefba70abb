import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditEventJson } from '../../src/audit/export.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const fields =
  'id at actorType actorUserId actorServiceAccountId actorLabel action targetType targetId clientAddress requestId details';

describe.each(testProviders)('GET /api/audit/export on %s', (provider) => {
  let app: TestApp;
  let admin: string;

  beforeAll(async () => {
    app = await startTestApp(provider);
    admin = await app.login(adminUserName, adminPassword);
    await app.createUser('audit.reader', ['AUDITOR']);
    // Events of known dates, far before the others.
    await app.db.auditEvent.createMany({
      data: [1, 2, 3, 4, 5].map((day) => ({
        at: new Date(`2020-01-0${day}T12:00:00Z`),
        actorType: 'SYSTEM' as const,
        action: `test.day_${day}`,
        details: JSON.stringify({ day }),
      })),
    });
  });
  afterAll(() => app.close());

  const exportOf = (query: string, token: string | null = admin) =>
    app.fetch(`/api/audit/export${query}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  /** The body as lines, each parsed; fails unless every line is one JSON object and the body ends a line. */
  async function lines(response: Response): Promise<AuditEventJson[]> {
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const text = await response.text();
    if (text === '') return [];
    expect(text.endsWith('\n')).toBe(true);
    return text
      .slice(0, -1)
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEventJson);
  }

  const auditReads = () => app.sql.filter((q) => /FROM\s+\S*AuditEvent/.test(q)).length;
  const byTime = (a: AuditEventJson, b: AuditEventJson) => a.at.localeCompare(b.at) || Number(a.id) - Number(b.id);

  it('streams every event since a date as NDJSON, oldest first, as GraphQL answers them', async () => {
    const exported = await lines(await exportOf('?since=1970-01-01'));
    const { body } = await app.graphql<{ auditEvents: { nodes: AuditEventJson[] } }>(
      `{ auditEvents(first: 100) { nodes { ${fields} } } }`,
      {},
      admin,
    );
    expect(body.errors).toBeUndefined();
    const answered = body.data?.auditEvents.nodes ?? [];
    expect(exported.length).toBeGreaterThan(5);
    // Reading writes no event: both saw the same trail.
    expect(exported).toEqual([...answered].sort(byTime));
    expect(exported).toEqual([...exported].sort(byTime));
    expect(exported.map((e) => e.action)).toEqual(expect.arrayContaining(['auth.login.succeeded', 'user.created']));
  });

  it('honours since and until', async () => {
    const within = await lines(await exportOf('?since=2020-01-02&until=2020-01-04T12:00:00Z'));
    expect(within.map((e) => e.action)).toEqual(['test.day_2', 'test.day_3', 'test.day_4']);
    expect(within[0]).toMatchObject({ at: '2020-01-02T12:00:00.000Z', actorType: 'SYSTEM', details: '{"day":2}' });
    const offset = await lines(await exportOf(`?since=${encodeURIComponent('2020-01-05T13:00:00+01:00')}`));
    expect(offset[0]?.action).toBe('test.day_5');
    const since = await lines(await exportOf('?since=2020-01-04T12:00:00.001Z'));
    expect(since[0]?.action).toBe('test.day_5');
    expect(since.every((e) => e.at >= '2020-01-04T12:00:00.001Z')).toBe(true);
    expect(await lines(await exportOf('?since=2020-01-01&until=2020-01-01T11:59:59Z'))).toEqual([]);
  });

  it('reads in batches, whatever the number of events', async () => {
    const many = 1234;
    await app.db.auditEvent.createMany({
      data: Array.from({ length: many }, (_, i) => ({
        at: new Date(Date.UTC(2021, 0, 1, 0, 0, i)),
        actorType: 'SYSTEM' as const,
        action: 'test.bulk',
        targetId: String(i),
      })),
    });
    app.sql.length = 0;
    const exported = await lines(await exportOf('?since=2021-01-01&until=2021-01-02'));
    expect(exported.map((e) => e.targetId)).toEqual(Array.from({ length: many }, (_, i) => String(i)));
    expect(auditReads()).toBe(3);
  });

  it('reads the next batch only as the client takes the lines (backpressure)', async () => {
    app.sql.length = 0;
    const response = await exportOf('?since=2021-01-01&until=2021-01-02');
    const reader = response.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value).split('\n')[0]).toContain('"action":"test.bulk"');
    expect(auditReads()).toBe(1);
    await reader?.cancel();
  });

  it('refuses a missing or malformed since, and until before since (400)', async () => {
    for (const [query, field] of [
      ['', 'since'],
      ['?since=yesterday', 'since'],
      ['?since=2026-01-31T09:00:00', 'since'], // no time zone
      ['?since=2026-02-30', 'since'],
      ['?since=2026-01-02&until=2026-01-01', 'until'],
    ] as const) {
      const response = await exportOf(query);
      expect(response.status).toBe(400);
      const { error } = await response.json();
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(new RegExp(`^${field}: `));
    }
  });

  it('is for administrators only: 401 anonymous, 403 for other roles', async () => {
    const anonymous = await exportOf('?since=2020-01-01', null);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe('UNAUTHENTICATED');
    const auditor = await app.login('audit.reader', userPassword);
    const forbidden = await exportOf('?since=2020-01-01', auditor);
    expect(forbidden.status).toBe(403);
    const { error } = await forbidden.json();
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('ADMINISTRATOR');
  });

  it('answers 503 when the database is down, before any line is sent', async () => {
    const spy = vi
      .spyOn(app.db.auditEvent, 'findMany')
      .mockRejectedValueOnce(Object.assign(new Error("Can't reach database server"), { code: 'P1001' }));
    try {
      const response = await exportOf('?since=2020-01-01');
      expect(response.status).toBe(503);
      expect((await response.json()).error.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      spy.mockRestore();
    }
  });
});
