/**
 * Replays the requests RegScale's own command-line client (regscale-cli)
 * sends, byte for byte where it matters (paths, headers, bodies, the
 * GraphQL text), and checks each answer against what the client reads.
 * Each step names the client's module and function it replays.
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';
import { regscaleIssueFields } from '../support/regscale.ts';

/** What python-requests adds to every request of the client's `requests.Session`. */
const requestsDefaults = {
  'user-agent': 'python-requests/2.32.3',
  'accept-encoding': 'gzip, deflate',
  connection: 'keep-alive',
};

/** `Api._handle_headers` (core/app/api.py): its default headers, with the token as saved in init.yaml (`Bearer …`). */
function apiHeaders(token: string | null): Record<string, string> {
  return {
    ...requestsDefaults,
    accept: 'application/json',
    'content-type': 'application/json',
    ...(token ? { authorization: token } : {}),
  };
}

/** The client's `Issue.build_graphql_fields()`: one field name a line. */
const fields = regscaleIssueFields.join('\n');

/** `Issue.fetch_issues_by_parent` (models/regscale_models/issue.py), its query text as the f-string renders it. */
function byParentQuery(parentId: number, module: string): string {
  return `
                query {
                    issues(take: 50, skip: 0, where: { parentModule: {eq: "${module}"} parentId: {
                      eq: ${parentId}
                    }}) {
                    items {
                        ${fields}
                    }
                    pageInfo {
                        hasNextPage
                    }
                    ,totalCount}
                }
                `;
}

/** `Issue.fetch_all_issues`: the same without a filter. */
const allIssuesQuery = `
                    query {
                        issues(take: 50, skip: 0) {
                        items {
                            ${fields}
                        }
                        pageInfo {
                            hasNextPage
                        }
                        ,totalCount}
                    }
                    `;

/** The current date-time as the client's `get_current_datetime` writes it: no offset. */
const clientNow = () => new Date().toISOString().slice(0, 19);

/**
 * An issue as the client's pydantic `Issue(...).dict()` serialises it:
 * every field of its model, its defaults (`id: 0`, `dueDate: ""`,
 * `identification: ""`, severity written short), and the user id from
 * init.yaml in issueOwnerId / createdById / lastUpdatedById.
 */
function clientIssue(userId: string, values: Record<string, unknown>): Record<string, unknown> {
  return {
    ...Object.fromEntries(regscaleIssueFields.map((name) => [name, null])),
    title: '',
    severityLevel: 'Low',
    issueOwnerId: userId,
    dueDate: '',
    id: 0,
    tenantsId: 1,
    dateCreated: clientNow(),
    identification: '',
    createdById: userId,
    lastUpdatedById: userId,
    dateLastUpdated: clientNow(),
    isPublic: true,
    isPoam: false,
    issueOwner: null,
    facility: null,
    org: null,
    createdBy: null,
    lastUpdatedBy: null,
    controlImplementationIds: [],
    ...values,
  };
}

/** `parse_user_id_from_jwt` (core/app/internal/login.py): the payload's `id`, unverified. */
function userIdFromJwt(jwt: string): unknown {
  const parts = jwt.split('.');
  expect(parts).toHaveLength(3);
  return JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')).id;
}

/** The JSON of an answer as python-requests hands it over: decoded from what it asked for (gzip, deflate). */
// biome-ignore lint/suspicious/noExplicitAny: JSON, read as the client reads it
async function decoded(response: Response): Promise<any> {
  const raw = Buffer.from(await response.arrayBuffer());
  const encoding = response.headers.get('content-encoding');
  const text = (encoding === 'gzip' ? gunzipSync(raw) : encoding === 'deflate' ? inflateSync(raw) : raw).toString(
    'utf8',
  );
  return text ? JSON.parse(text) : null;
}

describe.each(testProviders)("RegScale's client against the server on %s", (provider) => {
  let app: TestApp;
  let userId = '';
  /** The token as the client keeps it in init.yaml: `Bearer <jwt>`. */
  let token = '';
  let jwt = '';
  const userName = 'regscale.cli';

  async function send(method: string, path: string, headers: Record<string, string>, json?: unknown) {
    const response = await app.fetch(path, {
      method,
      headers,
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    // python-requests decodes what it asked for (gzip, deflate) before the client reads it.
    const raw = Buffer.from(await response.arrayBuffer());
    const encoding = response.headers.get('content-encoding');
    const text = (encoding === 'gzip' ? gunzipSync(raw) : encoding === 'deflate' ? inflateSync(raw) : raw).toString(
      'utf8',
    );
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  /** `Api.graph`: POSTs `{query}`, adds `skip: 0` when the query has none, pages while `pageInfo.hasNextPage`. */
  async function graph(query: string, bearer = token): Promise<Record<string, { items: Record<string, unknown>[] }>> {
    let q = query.includes('skip') ? query : query.replaceAll('(', '(skip: 0\n');
    const data: Record<string, { items: Record<string, unknown>[]; totalCount?: number }> = {};
    for (let round = 0; round < 100; round++) {
      const { status, body } = await send('POST', '/graphql', apiHeaders(bearer), { query: q });
      expect({ status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
      let more = false;
      for (const [key, value] of Object.entries(body.data as Record<string, typeof data.x>)) {
        if (!value) continue;
        if (data[key]) data[key].items.push(...value.items);
        else data[key] = value;
        if ((value as { pageInfo?: { hasNextPage?: boolean } }).pageInfo?.hasNextPage === true) {
          more = true;
          // Api._calculate_next_skip
          const old = /skip: (\d+)/.exec(q);
          q = old ? q.replace(`skip: ${old[1]}`, `skip: ${Number(old[1]) + value.items.length}`) : q;
        }
      }
      if (!more) return data;
    }
    throw new Error('paged without end');
  }

  beforeAll(async () => {
    app = await startTestApp(provider);
    userId = await app.createUser(userName, ['ISSUE_MANAGER']);
    // 120 issues of security plan 7, 10 of plan 8, 5 of a component: enough for three pages of 50.
    const rows = [
      ...Array.from({ length: 120 }, (_, i) => ({
        title: `Plan 7 finding ${i + 1}`,
        parentId: 7,
        parentModule: 'securityplans',
        securityPlanId: 7,
      })),
      ...Array.from({ length: 10 }, (_, i) => ({
        title: `Plan 8 finding ${i + 1}`,
        parentId: 8,
        parentModule: 'securityplans',
        securityPlanId: 8,
      })),
      ...Array.from({ length: 5 }, (_, i) => ({
        title: `Component finding ${i + 1}`,
        parentId: 7,
        parentModule: 'components',
      })),
    ];
    await app.db.issue.createMany({ data: rows });
  });
  afterAll(() => app.close());

  it('signs in with a password: version 2 first, version 1 as the fallback (core/login.py get_regscale_token)', async () => {
    const auth = { userName, password: userPassword, oldPassword: '', mfaToken: '' };
    // First try: X-Api-Version 2.0 and appId; the headers dict replaces the defaults (no Authorization).
    const v2 = await send(
      'POST',
      '/api/authentication/login',
      { ...requestsDefaults, 'x-api-version': '2.0', 'content-type': 'application/json' },
      { ...auth, appId: 1 },
    );
    // On exactly 200 it reads response["accessToken"]["id"] and response["accessToken"]["authToken"].
    expect(v2.status).toBe(200);
    expect(v2.body.accessToken.id).toBe(userId);
    expect(v2.body.accessToken.authToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    jwt = v2.body.accessToken.authToken;
    // RegScaleAuth.token: "Bearer " + auth_token, saved in init.yaml.
    token = `Bearer ${jwt}`;

    // Fallback after an HTTPError: no version header, no appId; reads response["id"], response["auth_token"].
    const v1 = await send(
      'POST',
      '/api/authentication/login',
      { ...requestsDefaults, 'content-type': 'application/json' },
      auth,
    );
    expect(v1.status).toBe(200);
    expect(v1.body.id).toBe(userId);
    expect(v1.body.auth_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    // Older releases send their stale token on login: ignored, login is anonymous.
    const stale = await send('POST', '/api/authentication/login', apiHeaders('Bearer not.a.token'), auth);
    expect(stale.status).toBe(200);
    const expired = await send('POST', '/api/authentication/login', apiHeaders('junk'), { ...auth, appId: 1 });
    expect(expired.status).toBe(200);
  });

  it('validates tokens from the body, and never answers 401 (core/app/internal/login.py verify_token)', async () => {
    // Api.post drops the Authorization header for validateToken URLs; verify_token reads status_code == 200.
    const noAuth = { ...requestsDefaults, accept: 'application/json', 'content-type': 'application/json' };
    expect((await send('POST', '/api/authentication/validateToken', noAuth, { accessToken: token })).status).toBe(200);
    // Api._handle_login_on_401 strips "Bearer " before calling verify_token.
    const bare = await send('POST', '/api/authentication/validateToken', noAuth, { accessToken: jwt });
    expect(bare.status).toBe(200);
    expect(bare.body).toMatchObject({ valid: true, id: userId, kind: 'user', roles: ['ISSUE_MANAGER'] });
    // A 401 here would send the client into endless recursion: every refusal is a 400.
    for (const accessToken of ['Bearer not.a.jwt', '', 'Bearer ', `Bearer ${jwt.slice(0, -4)}AAAA`, null, 42]) {
      const refused = await send('POST', '/api/authentication/validateToken', noAuth, { accessToken });
      expect({ accessToken, status: refused.status, code: refused.body.error.code }).toEqual({
        accessToken,
        status: 400,
        code: 'BAD_USER_INPUT',
      });
    }
    // An expired token too.
    const later = app.clock.now;
    app.clock.now = new Date(later.getTime() + 2 * 86_400_000);
    try {
      const stale = await send('POST', '/api/authentication/validateToken', noAuth, { accessToken: token });
      expect(stale.status).toBe(400);
    } finally {
      app.clock.now = later;
    }
  });

  it('reads the user id from the JWT claim id, for a session and a service account (parse_user_id_from_jwt)', async () => {
    expect(userIdFromJwt(jwt)).toBe(userId);
    // Token login (REGSCALE_TOKEN / init.yaml token): a service-account token, validated, then parsed.
    const admin = await app.login('root.admin', 'correct horse battery staple');
    const created = await app.graphql<{ createServiceAccount: { token: string } }>(
      'mutation { createServiceAccount(input: { durationDays: 5, purpose: "RegScale CLI", roles: [AUDITOR] }) { token } }',
      {},
      admin,
    );
    const saToken = created.body.data?.createServiceAccount.token ?? '';
    const adminId = (await app.db.user.findFirstOrThrow({ where: { userNameKey: 'root.admin' } })).id;
    expect(userIdFromJwt(saToken)).toBe(adminId);
    const payload = JSON.parse(Buffer.from(saToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
    expect(payload.sub).toBe(adminId);
    const valid = await send('POST', '/api/authentication/validateToken', apiHeaders(null), {
      accessToken: `Bearer ${saToken}`,
    });
    expect(valid.status).toBe(200);
    expect(valid.body).toMatchObject({ id: adminId, kind: 'service_account' });
    // And it reads and writes with that token as the client would.
    const data = await graph(byParentQuery(8, 'securityplans'), `Bearer ${saToken}`);
    expect(data.issues?.items).toHaveLength(10);
  });

  it('pages fetch_issues_by_parent to the end with skip/take and hasNextPage (Issue.fetch_issues_by_parent)', async () => {
    const data = await graph(byParentQuery(7, 'securityplans'));
    const items = data.issues?.items ?? [];
    expect(items).toHaveLength(120);
    expect(new Set(items.map((i) => i.id)).size).toBe(120);
    for (const item of items) {
      expect(Object.keys(item)).toEqual(regscaleIssueFields);
      expect(item).toMatchObject({ parentId: 7, parentModule: 'securityplans', status: 'Open' });
      // The client's IssueSeverity / IssueStatus enums compare these literals.
      expect(item.severityLevel).toBe('IV - Not Assigned');
    }
    expect(items[0]).toMatchObject({ title: 'Plan 7 finding 1', isPublic: true, isPoam: false, cve: null });
  });

  it('pages fetch_all_issues to the end, and Api.graph’s inserted skip works (Issue.fetch_all_issues)', async () => {
    const total = await app.db.issue.count();
    const data = await graph(allIssuesQuery);
    expect(data.issues?.items).toHaveLength(total);
    // A query without skip: Api.graph replaces "(" with "(skip: 0\n".
    const inserted = await graph(
      `query { issues(take: 40, where: { securityPlanId: { eq: 8 } }) { items { id title } pageInfo { hasNextPage } totalCount } }`,
    );
    expect(inserted.issues?.items).toHaveLength(10);
    // fetch_issues_by_ssp filters on securityPlanId and RegScale's status literal.
    const ssp = await graph(
      `query { issues(take: 50, skip: 0, where: { securityPlanId: {eq: 7}, status: {eq: "Open"} }) { items { ${fields} } pageInfo { hasNextPage } totalCount } }`,
    );
    expect(ssp.issues?.items).toHaveLength(120);
  });

  it('creates, reads, updates and lists by parent over REST (insert_issue, get_object, update_issue, get_all_by_parent)', async () => {
    // Issue.insert_issue: POST /api/issues with issue.dict(); reads the answer only on exactly 200.
    const sent = clientIssue(userId, {
      title: 'CVE-2024-3094 in xz on host-1',
      severityLevel: 'High',
      status: 'Open',
      description: 'Backdoored liblzma',
      dueDate: '2027-01-31T00:00:00',
      parentId: 42,
      parentModule: 'securityplans',
      securityPlanId: 42,
      identification: 'Vulnerability Assessment',
      otherIdentifier: 'xz-host-1',
      integrationFindingId: 'tenable:12345:host-1',
      dateFirstDetected: '2026-11-01T08:30:00',
      cve: 'CVE-2024-3094',
      assetIdentifier: 'host-1',
      pluginId: '12345',
      isPoam: true,
      vulnerabilityId: 9,
      costEstimate: 1500,
    });
    const created = await send('POST', '/api/issues', apiHeaders(token), sent);
    expect(created.status).toBe(200);
    const issue = created.body;
    expect(Object.keys(issue).sort()).toEqual([...regscaleIssueFields].sort());
    expect(issue).toMatchObject({
      title: 'CVE-2024-3094 in xz on host-1',
      severityLevel: 'I - High - Significant Deficiency',
      status: 'Open',
      dueDate: '2027-01-31T00:00:00.000Z',
      parentId: 42,
      parentModule: 'securityplans',
      securityPlanId: 42,
      identification: 'Vulnerability Assessment',
      dateFirstDetected: '2026-11-01T08:30:00.000Z',
      cve: 'CVE-2024-3094',
      isPoam: true,
      isPublic: true,
      issueOwnerId: userId,
      createdById: userId,
      lastUpdatedById: userId,
      vulnerabilityId: 9,
      costEstimate: 1500,
    });
    expect(issue.id).toBeGreaterThan(0);

    // RegScaleModel.get_object: GET /api/issues/{id} with x-api-version 2 (APIHandler adds the model's version).
    const got = await send('GET', `/api/issues/${issue.id}`, { ...apiHeaders(token), 'x-api-version': '2' });
    expect(got).toEqual({ status: 200, body: issue });

    // Issue.update_issue: PUT /api/issues/{id} with the whole dict; Issue.save sends x-api-version 2.
    const change = { ...issue, status: 'Closed', dateCompleted: '2026-12-01T00:00:00', severityLevel: 'Critical' };
    const updated = await send(
      'PUT',
      `/api/issues/${issue.id}`,
      { ...apiHeaders(token), 'x-api-version': '2' },
      change,
    );
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      status: 'Closed',
      severityLevel: '0 - Critical - Critical Deficiency',
      dateCompleted: '2026-12-01T00:00:00.000Z',
      cve: 'CVE-2024-3094',
    });
    const plain = await send('PUT', `/api/issues/${issue.id}`, apiHeaders(token), {
      ...updated.body,
      severityLevel: 'Medium',
    });
    expect(plain.status).toBe(200);
    expect(plain.body.severityLevel).toBe('II - Moderate - Reportable Condition');

    // RegScaleModel.get_all_by_parent: /api/issues/getAllByParent/{intParentID}/{strModule}; a list.
    const list = await send('GET', '/api/issues/getAllByParent/42/securityplans', apiHeaders(token));
    expect(list.status).toBe(200);
    expect(list.body.map((i: { id: number }) => i.id)).toEqual([issue.id]);
    expect(list.body[0]).toEqual(plain.body);
    const none = await send('GET', '/api/issues/getAllByParent/999/securityplans', apiHeaders(token));
    expect(none).toEqual({ status: 200, body: [] });
    const bad = await send('GET', '/api/issues/getAllByParent/x/securityplans', apiHeaders(token));
    expect({ status: bad.status, code: bad.body.error.code }).toEqual({ status: 400, code: 'BAD_USER_INPUT' });
  });

  it('batch-creates, batch-updates and creates-or-updates, each batch one transaction (bulk_insert, batch_create, batch_create_or_update)', async () => {
    const audits = () => app.db.auditEvent.count({ where: { action: { in: ['issue.created', 'issue.updated'] } } });
    const before = await audits();
    const batch = Array.from({ length: 3 }, (_, i) =>
      clientIssue(userId, {
        title: `Batch finding ${i + 1}`,
        parentId: 51,
        parentModule: 'securityplans',
        integrationFindingId: `f-${i + 1}`,
      }),
    );
    // Issue.bulk_insert(batch=True) posts to the lowercase /api/issues/batchcreate.
    const created = await send('POST', '/api/issues/batchcreate', apiHeaders(token), batch);
    expect(created.status).toBe(200);
    expect(created.body.map((i: { title: string }) => i.title)).toEqual([
      'Batch finding 1',
      'Batch finding 2',
      'Batch finding 3',
    ]);
    // RegScaleModel.batch_create posts model_dump(mode="json") to /api/issues/batchCreate.
    const more = await send('POST', '/api/issues/batchCreate', apiHeaders(token), [
      clientIssue(userId, { title: 'Batch finding 4', parentId: 51, parentModule: 'securityplans' }),
    ]);
    expect(more.status).toBe(200);
    expect(await audits()).toBe(before + 4);

    // Issue.bulk_update(batch=True): PUT /api/issues/batchupdate.
    const changed = created.body.map((i: Record<string, unknown>) => ({ ...i, status: 'Pending Verification' }));
    const updated = await send('PUT', '/api/issues/batchupdate', apiHeaders(token), changed);
    expect(updated.status).toBe(200);
    expect(updated.body.map((i: { status: string }) => i.status)).toEqual(Array(3).fill('Pending Verification'));

    // All or nothing: one invalid item (the third) and none is written; the error names it.
    const count = await app.db.issue.count();
    const invalid = await send('POST', '/api/issues/batchCreate', apiHeaders(token), [
      batch[0],
      batch[1],
      { ...batch[2], title: '' },
    ]);
    expect({ status: invalid.status, code: invalid.body.error.code, message: invalid.body.error.message }).toEqual({
      status: 400,
      code: 'BAD_USER_INPUT',
      message: 'issues.2.title: must not be empty',
    });
    expect(await app.db.issue.count()).toBe(count);

    // RegScaleModel._send_batch_request: {"issues": [...], "options": {...}}, None values and ids dropped;
    // _extract_items reads "created" and "updated".
    const clean = (i: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(i).filter(([k, v]) => v !== null && !['id', 'createdById', 'lastUpdatedById'].includes(k)),
      );
    const upsert = await send(
      'POST',
      '/api/issues/batchCreateOrUpdate',
      { ...apiHeaders(token), 'x-api-version': '2' },
      {
        issues: [
          clean(
            clientIssue(userId, {
              title: 'Batch finding 1, seen again',
              parentId: 51,
              parentModule: 'securityplans',
              integrationFindingId: 'f-1',
            }),
          ),
          clean(
            clientIssue(userId, {
              title: 'New finding',
              parentId: 51,
              parentModule: 'securityplans',
              integrationFindingId: 'f-9',
            }),
          ),
        ],
        options: {},
      },
    );
    expect(upsert.status).toBe(200);
    expect(upsert.body.updated.map((i: { id: number; title: string }) => [i.id, i.title])).toEqual([
      [created.body[0].id, 'Batch finding 1, seen again'],
    ]);
    expect(upsert.body.created.map((i: { title: string }) => i.title)).toEqual(['New finding']);
    expect(upsert.body).toMatchObject({ isSuccessful: true, totalProcessed: 2, errors: [] });
  });

  it('refuses mixed dialects and bad where/take with BAD_USER_INPUT, never a 500', async () => {
    for (const [query, field] of [
      ['{ issues(first: 5, take: 5) { totalCount } }', 'take'],
      ['{ issues(take: 501) { totalCount } }', 'take'],
      ['{ issues(skip: -1, take: 5) { totalCount } }', 'skip'],
      ['{ issues(take: 5, where: { status: { contains: "Op" } }) { totalCount } }', 'where.status.contains'],
      ['{ issues(take: 5, where: { status: { eq: "Nearly done" } }) { totalCount } }', 'where.status.eq'],
      ['{ issues(take: 5, where: { severityLevel: { in: ["Huge"] } }) { totalCount } }', 'where.severityLevel.in.0'],
    ] as const) {
      const { status, body } = await send('POST', '/graphql', apiHeaders(token), { query });
      expect({
        query,
        status,
        code: body.errors?.[0]?.extensions?.code,
        field: body.errors?.[0]?.extensions?.field,
      }).toEqual({
        query,
        status: 400,
        code: 'BAD_USER_INPUT',
        field,
      });
    }
    // skip: 0 goes with the Relay arguments (Api.graph adds it to any query).
    const relay = await send('POST', '/graphql', apiHeaders(token), {
      query: '{ issues(skip: 0\nfirst: 2) { edges { node { id } } pageInfo { endCursor } totalCount } }',
    });
    expect(relay.status).toBe(200);
    expect(relay.body.data.issues.edges).toHaveLength(2);
    // and, or, in, gt/lte, neq, contains.
    const mixed = await send('POST', '/graphql', apiHeaders(token), {
      query: `{ issues(take: 500, where: { or: [{ parentId: { in: [8] } }, { and: [{ parentModule: { eq: "components" } }, { title: { contains: "FINDING" } }] }], id: { gt: 0, lte: 100000 }, status: { neq: "Closed" } }, order: [{ dateCreated: DESC }, { id: ASC }]) { items { id parentId } totalCount pageInfo { hasNextPage hasPreviousPage } } }`,
    });
    expect(mixed.status).toBe(200);
    expect(mixed.body.data.issues.totalCount).toBe(15);
    expect(mixed.body.data.issues.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false });
  });

  it('asks the access policy and refuses malformed bodies with a 4xx, never a 500', async () => {
    const admin = await app.login('root.admin', 'correct horse battery staple');
    const created = await app.graphql<{ createServiceAccount: { token: string } }>(
      'mutation { createServiceAccount(input: { durationDays: 1, purpose: "read-only sync", roles: [AUDITOR] }) { token } }',
      {},
      admin,
    );
    const reader = `Bearer ${created.body.data?.createServiceAccount.token}`;
    const writer = `Bearer ${await app.login(userName, userPassword)}`;
    const one = clientIssue(userId, { title: 'Refused' });
    for (const [method, path, body] of [
      ['POST', '/api/issues', one],
      ['PUT', '/api/issues/1', one],
      ['POST', '/api/issues/batchCreate', [one]],
      ['PUT', '/api/issues/batchUpdate', [{ ...one, id: 1 }]],
      ['POST', '/api/issues/batchCreateOrUpdate', { issues: [one], options: {} }],
    ] as const) {
      const refused = await send(method, path, apiHeaders(reader), body);
      expect({ path, status: refused.status, code: refused.body.error.code }).toEqual({
        path,
        status: 403,
        code: 'FORBIDDEN',
      });
      const anonymous = await send(method, path, apiHeaders(null), body);
      expect({ path, status: anonymous.status }).toEqual({ path, status: 401 });
    }
    const count = await app.db.issue.count();
    for (const [method, path, body, status, field] of [
      ['POST', '/api/issues', { title: 'x', severityLevel: 'Enormous' }, 400, 'input.severityLevel'],
      ['POST', '/api/issues', { title: 'x', status: 'Finished' }, 400, 'input.status'],
      ['POST', '/api/issues', { title: 'x', parentId: 'seven' }, 400, 'input.parentId'],
      ['POST', '/api/issues', { title: 'x', dueDate: 'soon' }, 400, 'input.dueDate'],
      ['POST', '/api/issues', { title: 'x', cve: 'C'.repeat(201) }, 400, 'input.cve'],
      ['POST', '/api/issues', { title: 'x', issueOwnerId: 'nobody' }, 400, 'input.issueOwnerId'],
      ['POST', '/api/issues', [one], 400, undefined],
      ['POST', '/api/issues/batchCreate', { issues: [one] }, 400, 'issues'],
      ['POST', '/api/issues/batchCreate', [1, null], 400, 'issues.0'],
      ['POST', '/api/issues/batchCreate', Array(501).fill({ title: 'x' }), 400, 'issues'],
      ['PUT', '/api/issues/batchUpdate', [{ title: 'no id' }], 400, 'issues.0.id'],
      ['PUT', '/api/issues/batchUpdate', [{ id: 99999, title: 'gone' }], 404, undefined],
      ['POST', '/api/issues/batchCreateOrUpdate', { issues: 'all' }, 400, 'issues'],
      [
        'POST',
        '/api/issues/batchCreateOrUpdate',
        { issues: [one], options: { uniqueKeyFields: ['title'] } },
        400,
        'options.uniqueKeyFields',
      ],
      ['PUT', '/api/issues/0', one, 400, 'id'],
      ['PUT', '/api/issues/99999', one, 404, undefined],
      ['POST', '/api/authentication/validateToken', [], 400, undefined],
    ] as const) {
      const answer = await send(method, path, apiHeaders(writer), body);
      // REST's error shape is { code, message }: the message starts with the field it names.
      const named = field ? String(answer.body.error?.message).startsWith(`${field}:`) : true;
      expect({ path, field, status: answer.status, named }).toEqual({ path, field, status, named: true });
    }
    const text = await app.fetch('/api/issues', {
      method: 'POST',
      headers: { ...apiHeaders(token), 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(text.status).toBe(400);
    const broken = await app.fetch('/api/issues/batchCreate', {
      method: 'POST',
      headers: apiHeaders(token),
      body: '[{"title":',
    });
    expect(broken.status).toBe(400);
    expect(await app.db.issue.count()).toBe(count);
  });

  it('answers the client’s queries with VIEW_APIS=false too', async () => {
    const hidden = await startTestApp(provider, { VIEW_APIS: 'false' });
    try {
      const login = await hidden.fetch('/api/authentication/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-version': '2.0' },
        body: JSON.stringify({
          userName: 'root.admin',
          password: 'correct horse battery staple',
          oldPassword: '',
          mfaToken: '',
          appId: 1,
        }),
      });
      const bearer = `Bearer ${(await login.json()).accessToken.authToken}`;
      await hidden.db.issue.createMany({ data: [{ title: 'Hidden', parentId: 3, parentModule: 'securityplans' }] });
      const response = await hidden.fetch('/graphql', {
        method: 'POST',
        headers: apiHeaders(bearer),
        body: JSON.stringify({ query: byParentQuery(3, 'securityplans') }),
      });
      const body = await decoded(response);
      expect(body.errors).toBeUndefined();
      expect(body.data.issues.items).toHaveLength(1);
      expect(Object.keys(body.data.issues.items[0])).toEqual(regscaleIssueFields);
    } finally {
      await hidden.close();
    }
  });
});
