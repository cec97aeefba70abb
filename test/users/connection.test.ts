import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rules } from '../../src/access/policy.ts';
import {
  type UserOrderField,
  UsersPageDocument,
  type UsersPageQuery,
  type UsersPageQueryVariables,
} from '../generated/operations.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

type Node = UsersPageQuery['usersConnection']['nodes'][number];

const t0 = Date.parse('2030-05-01T00:00:00.000Z');
/** User names whose lower-cased order is the same in JavaScript and in every collation of both providers. */
const people = [
  { userName: 'Alice', displayName: '50% Sales', email: 'alice@corp.example', roles: ['ISSUE_MANAGER'] },
  { userName: 'bob', displayName: '50x Sales', email: 'bob@other.example', roles: ['AUDITOR'] },
  { userName: 'Carol', displayName: 'Carol C', email: 'carol@corp.example', roles: ['ADMINISTRATOR'] },
  { userName: 'Dave1', email: 'dave1@corp.example', roles: ['AUDITOR'] },
  { userName: 'dave2', roles: ['AUDITOR'] },
  { userName: 'eve', displayName: 'Eve', roles: ['ISSUE_MANAGER'] },
  { userName: 'mallory', roles: ['AUDITOR'] },
  { userName: 'Nina', displayName: 'under_score fan', roles: ['AUDITOR'] },
  { userName: 'under_score', roles: ['AUDITOR'] },
  { userName: 'underxscore', roles: ['AUDITOR'] },
  { userName: 'Zed', email: 'zed@corp.example', roles: ['AUDITOR'] },
];

describe.each(testProviders)('usersConnection on %s', (provider) => {
  let app: TestApp;
  let admin: string;
  const all = new Map<string, Node>();

  const page = (variables: UsersPageQueryVariables, token = admin) => app.request(UsersPageDocument, variables, token);

  async function pageThrough(variables: UsersPageQueryVariables, first: number) {
    const nodes: Node[] = [];
    let after: string | null = null;
    for (let i = 0; i < 100; i++) {
      const { status, body } = await page({ ...variables, first, after });
      expect({ status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
      const connection = body.data?.usersConnection;
      if (!connection) throw new Error('no connection');
      nodes.push(...connection.nodes);
      if (!connection.pageInfo.hasNextPage) return { nodes, totalCount: connection.totalCount };
      after = connection.pageInfo.endCursor ?? null;
    }
    throw new Error('too many pages');
  }

  beforeAll(async () => {
    app = await startTestApp(provider);
    app.clock.now = new Date(t0);
    admin = await app.login(adminUserName, adminPassword);
    for (const person of people) {
      const { body } = await app.graphql(
        'mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }',
        { input: { ...person, password: userPassword } },
        admin,
      );
      expect(body).not.toHaveProperty('errors');
    }
    // Logins at shared times (ties); four never sign in.
    for (const [i, person] of people.slice(0, 7).entries()) {
      app.clock.now = new Date(t0 + (i % 3) * 60_000);
      await app.login(person.userName, userPassword);
    }
    app.clock.now = new Date(t0 + 5 * 60_000);
    admin = await app.login(adminUserName, adminPassword);
    const deactivated = await app.graphql<{ usersConnection: { nodes: { id: string }[] } }>(
      '{ usersConnection(filter: { search: "mallory" }) { nodes { id } } }',
      {},
      admin,
    );
    await app.graphql(
      'mutation ($id: ID!) { deactivateUser(id: $id) { id } }',
      { id: deactivated.body.data?.usersConnection.nodes[0]?.id },
      admin,
    );
    for (const node of (await pageThrough({}, 500)).nodes) all.set(node.id, node);
  });
  afterAll(() => app?.close());

  const columnOf: Record<UserOrderField, (n: Node) => string | null> = {
    USER_NAME: (n) => n.userName.toLowerCase(),
    CREATED_AT: (n) => n.createdAt,
    LAST_LOGIN_AT: (n) => n.lastLoginAt ?? null,
  };

  function expectedOrder(field: UserOrderField, desc: boolean): string[] {
    const value = columnOf[field];
    return [...all.values()]
      .sort((a, b) => {
        const [va, vb] = [value(a), value(b)];
        if (va !== vb) {
          if (va === null) return 1;
          if (vb === null) return -1;
          return (va < vb ? -1 : 1) * (desc ? -1 : 1);
        }
        return a.id < b.id ? -1 : 1;
      })
      .map((n) => n.userName);
  }

  it('lists every user by user name (ignoring case) by default, with the total', async () => {
    const { nodes, totalCount } = await pageThrough({}, 4);
    expect(totalCount).toBe(12);
    expect(nodes.map((n) => n.userName)).toEqual([
      'Alice',
      'bob',
      'Carol',
      'Dave1',
      'dave2',
      'eve',
      'mallory',
      'Nina',
      adminUserName,
      'under_score',
      'underxscore',
      'Zed',
    ]);
  });

  it.each([
    ['USER_NAME', 'ASC'],
    ['USER_NAME', 'DESC'],
    ['CREATED_AT', 'ASC'],
    ['CREATED_AT', 'DESC'],
    ['LAST_LOGIN_AT', 'ASC'],
    ['LAST_LOGIN_AT', 'DESC'],
  ] as const)('pages by %s %s with no duplicate, no gap, ties by id', async (field, direction) => {
    for (const first of [5, 1]) {
      const { nodes } = await pageThrough({ orderBy: { field, direction } }, first);
      expect(nodes.map((n) => n.userName)).toEqual(expectedOrder(field, direction === 'DESC'));
    }
  });

  it.each([
    ['50%', ['Alice']],
    ['%', ['Alice']],
    ['under_', ['Nina', 'under_score']],
    ['_', ['Nina', 'under_score']],
    ['ALI', ['Alice']],
    ['corp.example', ['Alice', 'Carol', 'Dave1', 'Zed']],
  ])('searches user name, display name and (for administrators) email literally: %j', async (search, names) => {
    const { nodes, totalCount } = await pageThrough({ filter: { search } }, 2);
    expect(nodes.map((n) => n.userName)).toEqual(names);
    expect(totalCount).toBe(names.length);
  });

  it('filters by role and by active, and shows administrators the personal data', async () => {
    const managers = await pageThrough({ filter: { role: 'ISSUE_MANAGER' } }, 10);
    expect(managers.nodes.map((n) => [n.userName, n.roles])).toEqual([
      ['Alice', ['ISSUE_MANAGER']],
      ['eve', ['ISSUE_MANAGER']],
    ]);
    const inactive = await pageThrough({ filter: { active: false } }, 10);
    expect(inactive.nodes.map((n) => [n.userName, n.active])).toEqual([['mallory', false]]);
    const admins = await pageThrough({ filter: { role: 'ADMINISTRATOR', active: true, search: 'corp' } }, 10);
    expect(admins.nodes.map((n) => [n.userName, n.email, n.lastLoginAt])).toEqual([
      ['Carol', 'carol@corp.example', new Date(t0 + 2 * 60_000).toISOString()],
    ]);
  });

  it('asks the policy for personal data: without readPersonalData no email search, role or active filter, or last-login order', async () => {
    // Today administrators hold both rules; the policy is narrowed here to show that the list asks it.
    const rule = rules.readPersonalData as { roles: readonly string[] };
    const held = rule.roles;
    rule.roles = [];
    try {
      expect((await pageThrough({ filter: { search: 'corp.example' } }, 10)).nodes).toEqual([]);
      const alice = await pageThrough({ filter: { search: 'ali' } }, 10);
      expect(alice.nodes.map((n) => [n.userName, n.email, n.roles, n.active, n.lastLoginAt])).toEqual([
        ['Alice', null, null, null, null],
      ]);
      for (const variables of [
        { filter: { role: 'AUDITOR' } },
        { filter: { active: true } },
        { orderBy: { field: 'LAST_LOGIN_AT' } },
      ] as UsersPageQueryVariables[]) {
        expect(await errorOf(variables)).toMatchObject({ status: 403, code: 'FORBIDDEN', data: null });
      }
    } finally {
      rule.roles = held;
    }
  });

  const errorOf = async (variables: UsersPageQueryVariables, token = admin) => {
    const { status, body } = await page(variables, token);
    const error = body.errors?.[0];
    return { status, code: error?.extensions?.code, field: error?.extensions?.field, data: body.data ?? null };
  };

  it('refuses bad page sizes, crafted cursors and cursors of another ordering (BAD_USER_INPUT)', async () => {
    const first = await page({ first: 2 });
    const byName = first.body.data?.usersConnection.pageInfo.endCursor ?? '';
    const craft = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const bad = { status: 400, code: 'BAD_USER_INPUT', data: null };
    expect(await errorOf({ first: 501 })).toEqual({ ...bad, field: 'first' });
    for (const after of [
      'garbage',
      craft({ o: 'users:USER_NAME:ASC', v: 'bob', id: 7 }), // an integer id: not a user's
      craft({ o: 'users:USER_NAME:ASC', v: 'x'.repeat(101), id: '00000000-0000-4000-8000-000000000000' }),
      craft({ o: 'users:CREATED_AT:ASC', v: 'yesterday', id: '00000000-0000-4000-8000-000000000000' }),
    ]) {
      expect(await errorOf({ after })).toEqual({ ...bad, field: 'after' });
    }
    expect(await errorOf({ after: byName, orderBy: { field: 'CREATED_AT' } })).toEqual({ ...bad, field: 'after' });
    expect(await errorOf({ after: byName, orderBy: { field: 'USER_NAME', direction: 'DESC' } })).toEqual({
      ...bad,
      field: 'after',
    });
    expect(await errorOf({ filter: { search: '' } })).toEqual({ ...bad, field: 'filter.search' });
  });

  it('refuses auditors, service-account tokens (people only) and anonymous callers', async () => {
    const auditor = await app.login('bob', userPassword);
    expect(await errorOf({}, auditor)).toMatchObject({ status: 403, code: 'FORBIDDEN', data: null });
    const { body } = await app.graphql<{ createServiceAccount: { token: string } }>(
      'mutation { createServiceAccount(input: { durationDays: 5, purpose: "user lister", roles: [ADMINISTRATOR] }) { token } }',
      {},
      admin,
    );
    const script = body.data?.createServiceAccount.token ?? '';
    expect(await errorOf({}, script)).toMatchObject({ status: 403, code: 'FORBIDDEN', data: null });
    expect((await app.request(UsersPageDocument, {})).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('keeps the deprecated users list as it was: every user, oldest first', async () => {
    const { status, body } = await app.graphql<{ users: { userName: string }[] }>('{ users { userName } }', {}, admin);
    expect(status).toBe(200);
    expect(body.data?.users.map((u) => u.userName)).toEqual(expectedOrder('CREATED_AT', false));
  });
});
