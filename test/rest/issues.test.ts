import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { issueRows } from '../../src/issues/rows.ts';
import { severityRank } from '../../src/issues/severity.ts';
import { type IssueJson, issueJson } from '../../src/rest/issue-json.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';
import { regscaleIssueFields } from '../support/regscale.ts';

const createIssue = 'mutation ($input: CreateIssueInput!) { createIssue(input: $input) { id } }';

/** The field names RegScale's REST API uses, which existing scripts read. */
const regScaleFields = [...regscaleIssueFields].sort();

describe.each(testProviders)('the REST issues API on %s', (provider) => {
  let app: TestApp;
  const token: Record<string, string> = {};
  const userId: Record<string, string> = {};

  beforeAll(async () => {
    app = await startTestApp(provider);
    token.ADMINISTRATOR = await app.login(adminUserName, adminPassword);
    for (const [name, role] of [
      ['rest.manager', 'ISSUE_MANAGER'],
      ['rest.auditor', 'AUDITOR'],
      ['rest.nobody', null],
    ] as const) {
      userId[role ?? 'NONE'] = await app.createUser(name, role ? [role] : []);
      token[role ?? 'NONE'] = await app.login(name, userPassword);
    }
  });
  afterAll(() => app?.close());

  const get = (path: string, bearer?: string, init: RequestInit = {}) =>
    app.fetch(path, { ...init, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });

  /** What the API must answer for every issue in the database, in id order. */
  const expected = async () => (await app.db.issue.findMany({ orderBy: { id: 'asc' } })).map(issueJson);

  const getAll = async (query = '', bearer = token.AUDITOR) => {
    const response = await get(`/api/issues/getAll${query}`, bearer);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    return (await response.json()) as IssueJson[];
  };

  /** Inserts issues straight into the table, with a severity rank that matches each level. */
  const insertMany = async (count: number) => {
    const levels = ['HIGH', 'MODERATE', 'LOW', 'NOT_ASSIGNED'] as const;
    await app.db.issue.createMany({
      data: Array.from({ length: count }, (_, i) => {
        const severityLevel = levels[i % levels.length] ?? 'NOT_ASSIGNED';
        return { title: `Bulk finding ${i + 1}`, severityLevel, severityRank: severityRank[severityLevel] };
      }),
    });
  };

  it('answers [] for getAll on an empty table', async () => {
    expect(await getAll()).toEqual([]);
  });

  it('lists the issues created through GraphQL, with RegScale’s field names', async () => {
    const created: string[] = [];
    for (const [bearer, input] of [
      [
        token.ISSUE_MANAGER,
        {
          title: 'Unencrypted backups',
          description: 'Nightly backups are written in clear.',
          severityLevel: 'HIGH',
          status: 'OPEN',
          dueDate: '2031-03-01T12:00:00.000Z',
          issueOwnerId: userId.AUDITOR,
        },
      ],
      [token.ISSUE_MANAGER, { title: 'Stale accounts', severityLevel: 'LOW' }],
      [token.ADMINISTRATOR, { title: 'No MFA for admins', status: 'DRAFT' }],
    ] as const) {
      const { body } = await app.graphql<{ createIssue: { id: string } }>(createIssue, { input }, bearer);
      expect(body.errors).toBeUndefined();
      created.push(body.data?.createIssue.id ?? '');
    }
    const issues = await getAll();
    expect(issues.map((i) => String(i.id))).toEqual(created);
    expect(issues).toEqual(await expected());
    for (const issue of issues) expect(Object.keys(issue).sort()).toEqual(regScaleFields);
    expect(issues[0]).toMatchObject({
      title: 'Unencrypted backups',
      description: 'Nightly backups are written in clear.',
      severityLevel: 'I - High - Significant Deficiency',
      status: 'Open',
      dueDate: '2031-03-01T12:00:00.000Z',
      dateCompleted: null,
      issueOwnerId: userId.AUDITOR,
      createdById: userId.ISSUE_MANAGER,
      lastUpdatedById: userId.ISSUE_MANAGER,
    });
    expect(issues[1]).toMatchObject({ description: null, dueDate: null, issueOwnerId: null, status: 'Open' });
    expect(issues[2]).toMatchObject({ severityLevel: 'IV - Not Assigned', status: 'Draft' });
    expect(Date.parse(issues[0]?.dateCreated ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });

  it('answers every reading role', async () => {
    const [first] = await expected();
    for (const role of ['ADMINISTRATOR', 'ISSUE_MANAGER', 'AUDITOR']) {
      expect({ role, issues: await getAll('', token[role]) }).toEqual({ role, issues: await expected() });
      const one = await get(`/api/issues/${first?.id}`, token[role]);
      expect({ role, status: one.status }).toEqual({ role, status: 200 });
      expect(await one.json()).toEqual(first);
    }
  });

  it('refuses anonymous callers and bad tokens with 401 and WWW-Authenticate', async () => {
    for (const path of ['/api/issues/getAll', '/api/issues/getAll?take=5', '/api/issues/1']) {
      for (const bearer of [undefined, 'not.a.token', `${token.AUDITOR?.slice(0, -4)}AAAA`]) {
        const response = await get(path, bearer);
        expect({ path, bearer, status: response.status }).toEqual({ path, bearer, status: 401 });
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        const body = await response.json();
        expect(body).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
        if (!bearer) expect(body.error.message).toBe('Authentication required: send a valid bearer token');
      }
    }
  });

  it('refuses a user without a reading role with 403, naming the roles', async () => {
    for (const path of ['/api/issues/getAll', '/api/issues/getAll?take=5', '/api/issues/1']) {
      const response = await get(path, token.NONE);
      expect({ path, status: response.status }).toEqual({ path, status: 403 });
      expect(await response.json()).toEqual({
        error: {
          code: 'FORBIDDEN',
          message: 'Not authorized: requires the role ADMINISTRATOR or ISSUE_MANAGER or AUDITOR',
        },
      });
    }
  });

  it('answers one issue, NOT_FOUND when absent, BAD_USER_INPUT for a malformed id', async () => {
    const all = await expected();
    const last = all.at(-1);
    const one = await get(`/api/issues/${last?.id}`, token.AUDITOR);
    expect(one.status).toBe(200);
    expect(one.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await one.json()).toEqual(last);
    for (const id of [(last?.id ?? 0) + 1000, 2_147_483_647]) {
      const missing = await get(`/api/issues/${id}`, token.AUDITOR);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: `Issue ${id} not found` } });
    }
    for (const id of ['abc', '-1', '0', '1.5', '99999999999999999999', '2147483648', '0x10', '1e3', '%20']) {
      const response = await get(`/api/issues/${id}`, token.AUDITOR);
      const body = await response.json();
      expect({ id, status: response.status, code: body.error?.code }).toEqual({
        id,
        status: 400,
        code: 'BAD_USER_INPUT',
      });
      expect(body.error.message).toBe('id: must be a positive integer issue id');
    }
    const malformed = await get('/api/issues/%E0%A4%A', token.AUDITOR);
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.code).toBe('BAD_REQUEST');
  });

  it('answers unknown routes with a JSON 404 and wrong methods with 405 and Allow', async () => {
    for (const path of ['/api/nope', '/api/issues/1/extra']) {
      const unknown = await get(path, token.AUDITOR);
      expect({ path, status: unknown.status }).toEqual({ path, status: 404 });
      expect(unknown.headers.get('content-type')).toMatch(/^application\/json/);
      expect((await unknown.json()).error).toEqual({ code: 'NOT_FOUND', message: expect.stringContaining(path) });
    }
    for (const [method, path, allow] of [
      ['POST', '/api/issues/getAll', undefined],
      ['DELETE', '/api/issues/getAll', undefined],
      ['DELETE', '/api/issues/1', 'GET, PUT, HEAD'],
      ['GET', '/api/issues', 'POST'],
    ] as const) {
      const wrong = await get(path, token.ADMINISTRATOR, { method });
      expect({ method, path, status: wrong.status, allow: wrong.headers.get('allow') }).toEqual({
        method,
        path,
        status: 405,
        allow: allow ?? 'GET, HEAD',
      });
      expect((await wrong.json()).error.code).toBe('METHOD_NOT_ALLOWED');
    }
    // Nothing was deleted.
    expect(await app.db.issue.count()).toBe(3);
  });

  it('streams all of ~2500 issues, in id order, as one JSON array', async () => {
    await insertMany(2500);
    const issues = await getAll();
    const all = await expected();
    expect(all).toHaveLength(2503);
    expect(issues).toHaveLength(all.length);
    const ids = issues.map((i) => i.id);
    expect(ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? 0))).toBe(true);
    expect(issues).toEqual(all);
  });

  it('delivers the streamed array in more than one chunk', async () => {
    const response = await get('/api/issues/getAll', token.AUDITOR);
    expect(response.status).toBe(200);
    expect(response.body).toBeInstanceOf(ReadableStream);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    for (let read = await reader.read(); !read.done; read = await reader.read()) chunks.push(read.value);
    expect(chunks.length).toBeGreaterThan(1);
    expect(JSON.parse(Buffer.concat(chunks).toString('utf8'))).toHaveLength(2503);
  });

  it('pages with skip and take, in id order', async () => {
    const all = await expected();
    const ids = (list: readonly IssueJson[]) => list.map((i) => i.id);
    for (const [query, slice] of [
      ['?skip=0&take=500', all.slice(0, 500)],
      ['?skip=500&take=500', all.slice(500, 1000)],
      ['?skip=10&take=3', all.slice(10, 13)],
      ['?take=7', all.slice(0, 7)],
      ['?skip=5', all.slice(5, 105)],
      [`?skip=${all.length - 2}&take=500`, all.slice(-2)],
      [`?skip=${all.length}&take=1`, []],
    ] as const) {
      expect({ query, ids: ids(await getAll(query)) }).toEqual({ query, ids: ids(slice) });
    }
    expect(await getAll('?skip=10&take=3')).toEqual(all.slice(10, 13));
    // Consecutive pages cover the whole list exactly once.
    const paged: IssueJson[] = [];
    for (let skip = 0; skip < all.length; skip += 500) paged.push(...(await getAll(`?skip=${skip}&take=500`)));
    expect(ids(paged)).toEqual(ids(all));
  });

  it('pages by keyset with after and take, in id order, the same pages as skip', async () => {
    const all = await expected();
    const ids = (list: readonly IssueJson[]) => list.map((i) => i.id);
    expect(ids(await getAll('?after=0&take=3'))).toEqual(ids(all.slice(0, 3)));
    expect(await getAll(`?after=${all[9]?.id}&take=3`)).toEqual(all.slice(10, 13));
    expect(ids(await getAll(`?after=${all[9]?.id}`))).toEqual(ids(all.slice(10, 110)));
    expect(await getAll(`?after=${all.at(-1)?.id}&take=5`)).toEqual([]);
    // Following the last id of each page covers the whole list exactly once.
    const paged: IssueJson[] = [];
    for (let after = 0; ; ) {
      const page = await getAll(`?after=${after}&take=500`);
      paged.push(...page);
      if (page.length < 500) break;
      after = page.at(-1)?.id ?? 0;
    }
    expect(ids(paged)).toEqual(ids(all));
  });

  it('refuses after with skip, and bad after values, with BAD_USER_INPUT', async () => {
    for (const query of ['after=5&skip=2', 'after=-1', 'after=abc', 'after=99999999999', 'after=1.5']) {
      const response = await get(`/api/issues/getAll?${query}`, token.AUDITOR);
      const body = await response.json();
      expect({ query, status: response.status, code: body.error?.code }).toEqual({
        query,
        status: 400,
        code: 'BAD_USER_INPUT',
      });
      expect(body.error.message).toMatch(/^after: /);
    }
  });

  it('refuses bad skip and take values with BAD_USER_INPUT', async () => {
    for (const query of [
      'take=0',
      'take=501',
      'skip=-1',
      'skip=abc',
      'take=1.5',
      'take=1e3',
      'take=0x10',
      'skip=',
      'take=',
      'skip=99999999999',
    ]) {
      const response = await get(`/api/issues/getAll?${query}`, token.AUDITOR);
      const body = await response.json();
      expect({ query, status: response.status, code: body.error?.code }).toEqual({
        query,
        status: 400,
        code: 'BAD_USER_INPUT',
      });
      expect(body.error.message).toMatch(new RegExp(`^${query.split('=')[0]}: `));
    }
  });

  it('answers 503 when the database fails before the first row, not a broken 200', async () => {
    // The streams read with the driver (src/issues/rows.ts), not with findMany.
    const read = vi.spyOn(issueRows(app.db), 'read');
    try {
      read.mockRejectedValueOnce(Object.assign(new Error("Can't reach database server"), { code: 'P1001' }));
      const down = await get('/api/issues/getAll', token.AUDITOR);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBeTruthy();
      expect((await down.json()).error.code).toBe('SERVICE_UNAVAILABLE');

      read.mockRejectedValueOnce(new Error('something unexpected'));
      const broken = await get('/api/issues/getAll', token.AUDITOR);
      expect(broken.status).toBe(500);
      expect((await broken.json()).error).toEqual({
        code: 'INTERNAL_SERVER_ERROR',
        message: expect.stringMatching(/^Unexpected error \(request id [\w-]+\)$/),
      });
    } finally {
      read.mockRestore();
    }
  });

  it('cuts the stream short, never completing the array, when the database fails midway', async () => {
    const rows = issueRows(app.db);
    const original = rows.read.bind(rows);
    let calls = 0;
    // The first batch (500 rows) is read and sent; the second fails.
    const read = vi
      .spyOn(rows, 'read')
      .mockImplementation((...args) =>
        ++calls === 2 ? Promise.reject(new Error('connection lost midway')) : original(...args),
      );
    try {
      const response = await get('/api/issues/getAll', token.AUDITOR);
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
    } finally {
      read.mockRestore();
    }
    expect(app.logs.some((line) => line.includes('issue stream failed'))).toBe(true);
  });
});
