import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ServiceAccountOrderField,
  ServiceAccountsPageDocument,
  type ServiceAccountsPageQuery,
  type ServiceAccountsPageQueryVariables,
} from '../generated/operations.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

type Node = ServiceAccountsPageQuery['serviceAccountsConnection']['edges'][number]['node'];

const t0 = Date.parse('2030-03-01T00:00:00.000Z');
const minute = 60_000;
const day = 86_400_000;
const letters = 'abcdefg';
/** Purposes whose order is the same in JavaScript, SQLite's BINARY and PostgreSQL's collations. */
const extras = ['rate 50% cap', 'rate 50x cap', 'snake_case', 'snakeycase'];

describe.each(testProviders)('serviceAccountsConnection on %s', (provider) => {
  let app: TestApp;
  let admin: string;
  let bobId: string;
  /** Every account as the server describes it, by id. */
  const all = new Map<string, Node>();

  const create = async (token: string, input: Record<string, unknown>) => {
    const { body } = await app.graphql<{ createServiceAccount: { serviceAccount: { id: string } } }>(
      'mutation ($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { serviceAccount { id } } }',
      { input },
      token,
    );
    if (!body.data) throw new Error(JSON.stringify(body.errors));
    return body.data.createServiceAccount.serviceAccount.id;
  };

  const page = (variables: ServiceAccountsPageQueryVariables, token = admin) =>
    app.request(ServiceAccountsPageDocument, variables, token);

  /** Every node of a listing, page by page; fails on an error. */
  async function pageThrough(variables: ServiceAccountsPageQueryVariables, first: number) {
    const nodes: Node[] = [];
    let after: string | null = null;
    for (let i = 0; i < 100; i++) {
      const { status, body } = await page({ ...variables, first, after });
      expect({ status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
      const connection = body.data?.serviceAccountsConnection;
      if (!connection) throw new Error('no connection');
      expect(connection.edges.length).toBeLessThanOrEqual(first);
      expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
      nodes.push(...connection.edges.map((e) => e.node));
      if (!connection.pageInfo.hasNextPage) return { nodes, totalCount: connection.totalCount };
      after = connection.pageInfo.endCursor ?? null;
    }
    throw new Error('too many pages');
  }

  beforeAll(async () => {
    app = await startTestApp(provider);
    app.clock.now = new Date(t0);
    admin = await app.login(adminUserName, adminPassword);
    bobId = await app.createUser('bob.admin', ['ADMINISTRATOR']);
    const bob = await app.login('bob.admin', userPassword);
    // 60 accounts, four to a creation time (ties), four expiries (ties), seven purposes (ties).
    for (let i = 0; i < 60; i++) {
      app.clock.now = new Date(t0 + Math.floor(i / 4) * minute);
      await create(i % 15 === 0 ? bob : admin, {
        durationDays: [1, 10, 30, 90][i % 4],
        purpose: `job-${letters[i % letters.length]}`,
        roles: i % 3 === 0 ? ['ADMINISTRATOR'] : ['AUDITOR'],
      });
    }
    for (const purpose of extras) await create(admin, { durationDays: 30, purpose });
    const ids = (await app.db.serviceAccount.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map(
      (r) => r.id,
    );
    // Last use: a few shared times, and a third never used.
    for (const [i, id] of ids.entries()) {
      if (i % 3 === 2) continue;
      await app.db.serviceAccount.update({ where: { id }, data: { lastUsedAt: new Date(t0 + (i % 5) * minute) } });
    }
    // A day and an hour later: the 1-day accounts have expired; two are revoked; bob's are suspended.
    app.clock.now = new Date(t0 + day + 60 * minute);
    admin = await app.login(adminUserName, adminPassword);
    for (const id of [ids[5], ids[6]]) {
      await app.graphql('mutation ($id: ID!) { revokeServiceAccount(id: $id) { id } }', { id: String(id) }, admin);
    }
    const { body } = await app.graphql('mutation ($id: ID!) { deactivateUser(id: $id) { id } }', { id: bobId }, admin);
    expect(body).not.toHaveProperty('errors');
    const { nodes } = await pageThrough({}, 500);
    for (const node of nodes) all.set(node.id, node);
  });
  afterAll(() => app?.close());

  const columnOf: Record<ServiceAccountOrderField, (n: Node) => string | null> = {
    CREATED_AT: (n) => n.createdAt,
    EXPIRES_AT: (n) => n.expiresAt,
    NAME: (n) => n.purpose,
    LAST_USED_AT: (n) => n.lastUsedAt ?? null,
  };

  /** The order the contract promises: the column (nulls last either way), then id ascending. */
  function expectedOrder(field: ServiceAccountOrderField, desc: boolean): string[] {
    const value = columnOf[field];
    return [...all.values()]
      .sort((a, b) => {
        const [va, vb] = [value(a), value(b)];
        if (va !== vb) {
          if (va === null) return 1;
          if (vb === null) return -1;
          return (va < vb ? -1 : 1) * (desc ? -1 : 1);
        }
        return Number(a.id) - Number(b.id);
      })
      .map((n) => n.id);
  }

  it('lists all 64 accounts, newest first by default, with their total count', async () => {
    const { nodes, totalCount } = await pageThrough({}, 10);
    expect(totalCount).toBe(64);
    expect(nodes.map((n) => n.id)).toEqual(expectedOrder('CREATED_AT', true));
  });

  it.each([
    ['CREATED_AT', 'ASC'],
    ['CREATED_AT', 'DESC'],
    ['EXPIRES_AT', 'ASC'],
    ['EXPIRES_AT', 'DESC'],
    ['NAME', 'ASC'],
    ['NAME', 'DESC'],
    ['LAST_USED_AT', 'ASC'],
    ['LAST_USED_AT', 'DESC'],
  ] as const)('pages by %s %s with no duplicate, no gap, ties by id', async (field, direction) => {
    const expected = expectedOrder(field, direction === 'DESC');
    for (const first of [7, 1]) {
      const { nodes } = await pageThrough({ orderBy: { field, direction } }, first);
      expect(nodes.map((n) => n.id)).toEqual(expected);
    }
  });

  it('filters by status in SQL with the rule the status field answers, at the server clock', async () => {
    const statusIds = (status: string) =>
      [...all.values()]
        .filter((n) => n.status === status || (status === 'ACTIVE' && n.status === 'EXPIRING_SOON'))
        .map((n) => n.id)
        .sort();
    const counts: Record<string, number> = {};
    for (const status of ['ACTIVE', 'EXPIRING_SOON', 'EXPIRED', 'REVOKED', 'SUSPENDED'] as const) {
      const { nodes, totalCount } = await pageThrough({ filter: { status } }, 9);
      expect(nodes.map((n) => n.id).sort()).toEqual(statusIds(status));
      expect(totalCount).toBe(nodes.length);
      counts[status] = nodes.length;
    }
    // The 15 one-day accounts expired (bob's among them); bob's other three are suspended.
    expect(counts).toEqual({ ACTIVE: 44, EXPIRING_SOON: 13, EXPIRED: 15, REVOKED: 2, SUSPENDED: 3 });

    // Nine days on, the ten-day accounts expire soon no longer: they are expired.
    app.clock.now = new Date(t0 + 11 * day);
    const later = await app.login(adminUserName, adminPassword);
    const expiring = await app.request(ServiceAccountsPageDocument, { filter: { status: 'EXPIRING_SOON' } }, later);
    const expired = await app.request(ServiceAccountsPageDocument, { filter: { status: 'EXPIRED' } }, later);
    expect(expiring.body.data?.serviceAccountsConnection.totalCount).toBe(0);
    expect(expired.body.data?.serviceAccountsConnection.totalCount).toBe(29);
    app.clock.now = new Date(t0 + day + 60 * minute);
  });

  it('filters by creator and by role, and combines filters', async () => {
    const bobs = await pageThrough({ filter: { createdBy: bobId } }, 50);
    expect(bobs.nodes.map((n) => n.createdBy.userName)).toEqual(['bob.admin', 'bob.admin', 'bob.admin', 'bob.admin']);
    const admins = await pageThrough({ filter: { role: 'ADMINISTRATOR' } }, 50);
    expect(admins.totalCount).toBe(20);
    expect(admins.nodes.every((n) => n.roles.includes('ADMINISTRATOR'))).toBe(true);
    const both = await pageThrough({ filter: { role: 'ADMINISTRATOR', status: 'SUSPENDED', search: 'JOB-' } }, 50);
    expect(both.nodes.map((n) => [n.createdBy.userName, n.status])).toEqual([
      ['bob.admin', 'SUSPENDED'],
      ['bob.admin', 'SUSPENDED'],
      ['bob.admin', 'SUSPENDED'],
    ]);
  });

  it.each([
    ['50%', ['rate 50% cap']],
    ['e_c', ['snake_case']],
    ['_', ['snake_case']],
    ['%', ['rate 50% cap']],
    ['RATE 50', ['rate 50% cap', 'rate 50x cap']],
    ['job-g', Array(8).fill('job-g')],
  ])('searches the purpose literally, ignoring case: %j', async (search, purposes) => {
    const { nodes, totalCount } = await pageThrough({ filter: { search }, orderBy: { field: 'NAME' } }, 5);
    expect(nodes.map((n) => n.purpose)).toEqual(purposes);
    expect(totalCount).toBe(purposes.length);
  });

  it('finds an account by its whole token id too, ignoring case', async () => {
    const account = await app.db.serviceAccount.findFirstOrThrow({ orderBy: { id: 'asc' }, skip: 7 });
    const found = await pageThrough({ filter: { search: account.jti.toUpperCase() } }, 5);
    expect(found.nodes.map((n) => n.id)).toEqual([String(account.id)]);
    expect(found.totalCount).toBe(1);
    // Part of a token id is not a token id: it is looked for in purposes, and found nowhere.
    const part = await pageThrough({ filter: { search: account.jti.slice(0, 8) } }, 5);
    expect(part.nodes).toEqual([]);
    // The other filters still hold.
    const revoked = await pageThrough({ filter: { search: account.jti, status: 'REVOKED' } }, 5);
    expect(revoked.nodes).toEqual([]);
  });

  it('shows who revoked an account and links a rotation both ways', async () => {
    const [old] = await pageThrough({ filter: { search: 'snakeycase' } }, 5).then((r) => r.nodes);
    const { body } = await app.graphql<{ rotateServiceAccount: { serviceAccount: { id: string } } }>(
      'mutation ($id: ID!) { rotateServiceAccount(id: $id, durationDays: 30) { serviceAccount { id } } }',
      { id: old?.id },
      admin,
    );
    const newId = body.data?.rotateServiceAccount.serviceAccount.id;
    const { nodes } = await pageThrough({ filter: { search: 'snakeycase' }, orderBy: { field: 'CREATED_AT' } }, 5);
    expect(nodes.map((n) => [n.id, n.status, n.revokedBy?.userName ?? null, n.rotatedFrom, n.rotatedTo])).toEqual([
      [old?.id, 'REVOKED', adminUserName, null, { id: newId }],
      [newId, 'ACTIVE', null, { id: old?.id }, null],
    ]);
    expect(nodes[0]?.revokedAt).toBe(app.clock.now.toISOString());
    await app.db.serviceAccount.delete({ where: { id: Number(newId) } });
    await app.db.serviceAccount.update({
      where: { id: Number(old?.id) },
      data: { revokedAt: null, revokedById: null },
    });
  });

  const errorOf = async (variables: ServiceAccountsPageQueryVariables, token = admin) => {
    const { status, body } = await page(variables, token);
    const error = body.errors?.[0];
    return { status, code: error?.extensions?.code, field: error?.extensions?.field, data: body.data ?? null };
  };

  it('refuses bad page sizes, cursors of another list or ordering, and bad filters (BAD_USER_INPUT)', async () => {
    const first = await page({ first: 2 });
    const byDate = first.body.data?.serviceAccountsConnection.pageInfo.endCursor ?? '';
    const users = await app.graphql<{ usersConnection: { pageInfo: { endCursor: string } } }>(
      '{ usersConnection(first: 1) { pageInfo { endCursor } } }',
      {},
      admin,
    );
    const userCursor = users.body.data?.usersConnection.pageInfo.endCursor ?? '';
    const issueCursor = Buffer.from(
      JSON.stringify({ o: 'CREATED_AT:DESC', v: new Date().toISOString(), id: 1 }),
    ).toString('base64url');
    const bad = { status: 400, code: 'BAD_USER_INPUT', data: null };
    expect(await errorOf({ first: -1 })).toEqual({ ...bad, field: 'first' });
    expect(await errorOf({ first: 501 })).toEqual({ ...bad, field: 'first' });
    for (const after of ['nope', '', 'x'.repeat(5000), byDate.slice(0, -2), userCursor, issueCursor]) {
      if (after === '') continue;
      expect(await errorOf({ after })).toEqual({ ...bad, field: 'after' });
    }
    expect(await errorOf({ after: byDate, orderBy: { field: 'NAME' } })).toEqual({ ...bad, field: 'after' });
    expect(await errorOf({ after: byDate, orderBy: { field: 'CREATED_AT', direction: 'ASC' } })).toEqual({
      ...bad,
      field: 'after',
    });
    expect(await errorOf({ filter: { search: '  ' } })).toEqual({ ...bad, field: 'filter.search' });
    expect(await errorOf({ filter: { createdBy: 'bob' } })).toEqual({ ...bad, field: 'filter.createdBy' });
    // A crafted NAME cursor with a value longer than any purpose.
    const long = Buffer.from(JSON.stringify({ o: 'serviceAccounts:NAME:ASC', v: 'x'.repeat(501), id: 1 })).toString(
      'base64url',
    );
    expect(await errorOf({ after: long, orderBy: { field: 'NAME' } })).toEqual({ ...bad, field: 'after' });
    // first: 0 answers an empty page that still says more follow.
    const empty = await page({ first: 0 });
    expect(empty.body.data?.serviceAccountsConnection).toMatchObject({ edges: [], pageInfo: { hasNextPage: true } });
  });

  it('answers a NAME cursor holding a long purpose', async () => {
    const purpose = `z${'é'.repeat(499)}`;
    const id = await create(admin, { durationDays: 30, purpose });
    const { body } = await page({ first: 1, orderBy: { field: 'NAME', direction: 'DESC' } });
    const edge = body.data?.serviceAccountsConnection.edges[0];
    expect(edge?.node.id).toBe(id);
    const next = await page({ first: 1, after: edge?.cursor, orderBy: { field: 'NAME', direction: 'DESC' } });
    expect({
      errors: next.body.errors,
      purpose: next.body.data?.serviceAccountsConnection.edges[0]?.node.purpose,
    }).toEqual({
      errors: undefined,
      purpose: 'snakeycase',
    });
    await app.db.serviceAccount.delete({ where: { id: Number(id) } });
  });

  it('refuses auditors, service-account tokens (people only) and anonymous callers', async () => {
    await app.createUser('otto.auditor', ['AUDITOR']);
    const auditor = await app.login('otto.auditor', userPassword);
    const { body } = await app.graphql<{ createServiceAccount: { token: string } }>(
      'mutation { createServiceAccount(input: { durationDays: 5, purpose: "admin script", roles: [ADMINISTRATOR] }) { token } }',
      {},
      admin,
    );
    const script = body.data?.createServiceAccount.token ?? '';
    expect(await errorOf({}, auditor)).toMatchObject({ status: 403, code: 'FORBIDDEN', data: null });
    expect(await errorOf({}, script)).toMatchObject({ status: 403, code: 'FORBIDDEN', data: null });
    const refused = await page({}, script);
    expect(refused.body.errors?.[0]?.message).toBe(
      'Not authorized: service-account tokens cannot manage service accounts or users',
    );
    const anonymous = await app.request(ServiceAccountsPageDocument, {});
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await app.db.serviceAccount.deleteMany({ where: { purpose: 'admin script' } });
  });

  it('keeps the deprecated serviceAccounts list as it was: every account of the status, newest first', async () => {
    const { status, body } = await app.graphql<{ serviceAccounts: { id: string }[] }>(
      '{ serviceAccounts(filter: { status: EXPIRED }) { id } all: serviceAccounts { id } }',
      {},
      admin,
    );
    expect(status).toBe(200);
    const data = body.data as unknown as { serviceAccounts: { id: string }[]; all: { id: string }[] };
    // Newest first, ties by id descending (the connection breaks ties by id ascending, as issues do).
    const newestFirst = [...all.values()].sort(
      (a, b) => b.createdAt.localeCompare(a.createdAt) || Number(b.id) - Number(a.id),
    );
    expect(data.all.map((n) => n.id)).toEqual(newestFirst.map((n) => n.id));
    expect(data.serviceAccounts.map((n) => n.id).sort()).toEqual(
      [...all.values()]
        .filter((n) => n.status === 'EXPIRED')
        .map((n) => n.id)
        .sort(),
    );
    const introspection = await app.graphql<{
      __type: { fields: { name: string; isDeprecated: boolean; deprecationReason: string | null }[] };
    }>(
      '{ __type(name: "Query") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }',
      {},
      admin,
    );
    const fields = introspection.body.data?.__type.fields ?? [];
    expect(fields.filter((f) => f.isDeprecated).map((f) => [f.name, f.deprecationReason])).toEqual(
      expect.arrayContaining([
        ['serviceAccounts', 'Use serviceAccountsConnection; removed in the next release.'],
        ['users', 'Use usersConnection; removed in the next release.'],
        ['auditEvents', 'Use auditEventsConnection; removed in the next release.'],
      ]),
    );
  });
});
