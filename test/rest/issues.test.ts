import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { severityRank } from '../../src/services/issue-severity.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

describe.each(testProviders)('the REST shim on %s', (provider) => {
  let app: TestApp;
  const token: Record<string, string> = {};

  beforeAll(async () => {
    app = await startTestApp(provider);
    token.ADMINISTRATOR = await app.login(adminUserName, adminPassword);
    for (const [name, roles] of [
      ['rest.manager', ['ISSUE_MANAGER']],
      ['rest.auditor', ['AUDITOR']],
      ['rest.nobody', []],
    ] as const) {
      await app.createUser(name, [...roles]);
      token[roles[0] ?? 'NONE'] = await app.login(name, userPassword);
    }
  });
  afterAll(() => app.close());

  const get = (path: string, bearer?: string, init: RequestInit = {}) =>
    app.fetch(path, { ...init, headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) } });

  it('answers [] for getAll on an empty table', async () => {
    const response = await get('/api/issues/getAll', token.AUDITOR);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual([]);
  });

  it('streams every issue as a JSON array with RegScale’s field names', async () => {
    const severities = ['HIGH', 'MODERATE', 'LOW', 'NOT_ASSIGNED'] as const;
    const rows = Array.from({ length: 2500 }, (_, i) => {
      const severityLevel = severities[i % 4] ?? 'LOW';
      return { title: `Bulk finding ${i + 1}`, severityLevel, severityRank: severityRank[severityLevel] };
    });
    await app.db.issue.createMany({ data: rows });
    const response = await get('/api/issues/getAll', token.AUDITOR);
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = (await reader?.read()) ?? { done: true, value: undefined };
      if (done) break;
      chunks.push(value);
    }
    expect(chunks.length).toBeGreaterThan(1);
    const issues = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    expect(issues).toHaveLength(2500);
    expect(issues.map((i: { id: number }) => i.id)).toEqual(
      [...issues.map((i: { id: number }) => i.id)].sort((a, b) => a - b),
    );
    expect(Object.keys(issues[0]).sort()).toEqual(
      [
        'createdById',
        'dateCompleted',
        'dateCreated',
        'dateLastUpdated',
        'description',
        'dueDate',
        'id',
        'issueOwnerId',
        'lastUpdatedById',
        'severityLevel',
        'status',
        'title',
        'uuid',
      ].sort(),
    );
  });

  it('lets every reading role in and keeps others out, in one error shape', async () => {
    for (const role of ['ADMINISTRATOR', 'ISSUE_MANAGER', 'AUDITOR']) {
      expect((await get('/api/issues/getAll?take=1', token[role])).status).toBe(200);
    }
    const anonymous = await get('/api/issues/getAll');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await anonymous.json()).toEqual({
      error: { code: 'UNAUTHENTICATED', message: 'Authentication required: send a valid bearer token' },
    });
    const noRole = await get('/api/issues/getAll', token.NONE);
    expect(noRole.status).toBe(403);
    expect(await noRole.json()).toEqual({
      error: {
        code: 'FORBIDDEN',
        message: 'Not authorized: requires the role ADMINISTRATOR or ISSUE_MANAGER or AUDITOR',
      },
    });
    const badToken = await get('/api/issues/1', 'not.a.token');
    expect(badToken.status).toBe(401);
    expect((await badToken.json()).error.code).toBe('UNAUTHENTICATED');
  });

  it('pages with skip and take, and refuses bad values', async () => {
    const page = async (query: string) =>
      (await (await get(`/api/issues/getAll?${query}`, token.AUDITOR)).json()) as { id: number }[];
    const all = await page('take=500');
    const next = await page('skip=500&take=500');
    expect(all).toHaveLength(500);
    expect(next[0]?.id).toBeGreaterThan(all.at(-1)?.id ?? Number.POSITIVE_INFINITY);
    expect((await page('skip=10&take=3')).map((i) => i.id)).toEqual(all.slice(10, 13).map((i) => i.id));
    for (const query of ['take=0', 'take=501', 'skip=-1', 'skip=abc', 'take=1.5', 'take=1e3']) {
      const response = await get(`/api/issues/getAll?${query}`, token.AUDITOR);
      expect({ query, status: response.status, code: (await response.json()).error?.code }).toEqual({
        query,
        status: 400,
        code: 'BAD_USER_INPUT',
      });
    }
  });

  it('answers one issue, 404 when absent, 400 for a malformed id', async () => {
    const [first] = (await (await get('/api/issues/getAll?take=1', token.AUDITOR)).json()) as {
      id: number;
      title: string;
    }[];
    const one = await get(`/api/issues/${first?.id}`, token.AUDITOR);
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ id: first?.id, title: first?.title });
    const missing = await get('/api/issues/99999999', token.AUDITOR);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('NOT_FOUND');
    for (const id of ['abc', '-1', '0', '1.5', '99999999999999999999', '%E0%A4%A']) {
      const response = await get(`/api/issues/${id}`, token.AUDITOR);
      expect({ id, status: response.status }).toEqual({ id, status: 400 });
      expect((await response.json()).error.code).toMatch(/^BAD_(USER_INPUT|REQUEST)$/);
    }
  });

  it('answers unknown routes with 404 and wrong methods with 405 and Allow', async () => {
    const unknown = await get('/api/nope', token.AUDITOR);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('NOT_FOUND');
    const wrong = await get('/api/issues/getAll', token.AUDITOR, { method: 'POST' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    expect((await wrong.json()).error.code).toBe('METHOD_NOT_ALLOWED');
    const del = await get('/api/issues/1', token.ADMINISTRATOR, { method: 'DELETE' });
    expect(del.status).toBe(405);
  });
});
