import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const create = `mutation ($input: CreateIssueInput!) {
  createIssue(input: $input) { id title status: issueStatus severityLevel: severity dateCompleted createdBy { userName } lastUpdatedBy { userName } }
}`;
const page = `query ($first: Int, $after: String, $last: Int, $before: String, $filter: IssueFilter, $orderBy: IssueOrder) {
  issues(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    edges { cursor node { id title dueDate severityLevel: severity } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

interface Page {
  issues: {
    edges: { cursor: string; node: { id: string; title: string; dueDate: string | null; severityLevel: string } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

describe.each(testProviders)('issues over GraphQL on %s', (provider) => {
  let app: TestApp;
  const token: Record<string, string> = {};

  beforeAll(async () => {
    // No revocation polling during the test: it would add to the SQL counted below.
    app = await startTestApp(provider, { REVOCATION_POLL_MS: '60000' });
    token.ADMINISTRATOR = await app.login(adminUserName, adminPassword);
    for (const [name, roles] of [
      ['manager', ['ISSUE_MANAGER']],
      ['auditor', ['AUDITOR']],
      ['nobody', []],
    ] as const) {
      await app.createUser(name, [...roles]);
      token[roles[0] ?? 'NONE'] = await app.login(name, userPassword);
    }
    // 30 issues: due dates with ties and nulls, all severities.
    const severities = ['HIGH', 'MODERATE', 'LOW', 'NOT_ASSIGNED'];
    for (let i = 1; i <= 30; i++) {
      const { body } = await app.graphql(
        create,
        {
          input: {
            title: `Finding ${String(i).padStart(2, '0')}${i % 5 === 0 ? ' encryption' : ''}`,
            description: i % 7 === 0 ? 'Weak ENCRYPTION of backups' : null,
            severityLevel: severities[i % 4],
            status: i % 6 === 0 ? 'CLOSED' : 'OPEN',
            dueDate: i % 4 === 0 ? null : new Date(Date.UTC(2027, 0, 1 + (i % 9))).toISOString(),
          },
        },
        token.ISSUE_MANAGER,
      );
      expect(body.errors).toBeUndefined();
    }
  });
  afterAll(() => app.close());

  async function pages(variables: Record<string, unknown>, direction: 'forward' | 'backward', size: number) {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 50; guard++) {
      const vars: Record<string, unknown> =
        direction === 'forward'
          ? { ...variables, first: size, after: cursor }
          : { ...variables, last: size, before: cursor };
      const { body } = await app.graphql<Page>(page, vars, token.AUDITOR);
      expect(body.errors).toBeUndefined();
      const result = body.data?.issues;
      if (!result) throw new Error('no page');
      const batch = result.edges.map((e) => e.node.id);
      if (direction === 'forward') ids.push(...batch);
      else ids.unshift(...batch);
      const more = direction === 'forward' ? result.pageInfo.hasNextPage : result.pageInfo.hasPreviousPage;
      if (!more) return ids;
      cursor = direction === 'forward' ? result.pageInfo.endCursor : result.pageInfo.startCursor;
    }
    throw new Error('pagination did not end');
  }

  it('sets authorship and timestamps from the token', async () => {
    const { body } = await app.graphql<{ createIssue: Record<string, unknown> }>(
      create,
      { input: { title: 'Set by server', status: 'CLOSED' } },
      token.ISSUE_MANAGER,
    );
    expect(body.data?.createIssue).toMatchObject({
      createdBy: { userName: 'manager' },
      lastUpdatedBy: { userName: 'manager' },
      status: 'CLOSED',
    });
    expect(body.data?.createIssue.dateCompleted).toBeTypeOf('string');
    await app.graphql(
      'mutation ($id: ID!) { deleteIssue(id: $id) }',
      { id: body.data?.createIssue.id },
      token.ADMINISTRATOR,
    );
  });

  it('pages forwards and backwards over the same, complete, stable order', async () => {
    const orders = [
      null,
      { field: 'DUE_DATE', direction: 'ASC' },
      { field: 'DUE_DATE', direction: 'DESC' },
      { field: 'SEVERITY', direction: 'ASC' },
      { field: 'SEVERITY', direction: 'DESC' },
      { field: 'CREATED_AT', direction: 'DESC' },
      { field: 'UPDATED_AT', direction: 'ASC' },
      { field: 'ID', direction: 'DESC' },
    ];
    for (const orderBy of orders) {
      const { body } = await app.graphql<Page>(page, { first: 500, orderBy }, token.AUDITOR);
      const all = body.data?.issues.edges.map((e) => e.node.id) ?? [];
      expect(all).toHaveLength(30);
      expect(new Set(all).size).toBe(30);
      for (const size of [1, 4, 7]) {
        expect(await pages({ orderBy }, 'forward', size)).toEqual(all);
        expect(await pages({ orderBy }, 'backward', size)).toEqual(all);
      }
    }
    // Some 400 requests: a loaded machine has taken more than the default 30 s.
  }, 180_000);

  it('orders by due date with nulls last and ties broken by id', async () => {
    const { body } = await app.graphql<Page>(page, { first: 500, orderBy: { field: 'DUE_DATE' } }, token.AUDITOR);
    const nodes = body.data?.issues.edges.map((e) => e.node) ?? [];
    const key = (n: (typeof nodes)[number]) => [n.dueDate ?? '9999', Number(n.id)] as const;
    for (let i = 1; i < nodes.length; i++) {
      const [a, b] = [key(nodes[i - 1] as (typeof nodes)[number]), key(nodes[i] as (typeof nodes)[number])];
      expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])).toBe(true);
    }
    expect(nodes.at(-1)?.dueDate).toBeNull();
    const bySeverity = await app.graphql<Page>(page, { first: 500, orderBy: { field: 'SEVERITY' } }, token.AUDITOR);
    const levels = bySeverity.body.data?.issues.edges.map((e) => e.node.severityLevel) ?? [];
    expect(levels.indexOf('HIGH')).toBe(0);
    expect(levels.lastIndexOf('HIGH')).toBeLessThan(levels.indexOf('MODERATE'));
    expect(levels.at(-1)).toBe('NOT_ASSIGNED');
  });

  it('filters by status, severity, due date range and text (case-insensitive)', async () => {
    const count = async (filter: Record<string, unknown>) => {
      const { body } = await app.graphql<{ issues: { totalCount: number; edges: unknown[] } }>(
        'query ($filter: IssueFilter) { issues(first: 500, filter: $filter) { totalCount edges { cursor } } }',
        { filter },
        token.AUDITOR,
      );
      expect(body.errors).toBeUndefined();
      expect(body.data?.issues.edges).toHaveLength(body.data?.issues.totalCount ?? -1);
      return body.data?.issues.totalCount;
    };
    expect(await count({})).toBe(30);
    expect(await count({ status: ['CLOSED'] })).toBe(5);
    expect(await count({ severityLevel: ['HIGH', 'LOW'] })).toBe(15);
    expect(await count({ search: 'encryption' })).toBe(10); // 6 titles + 4 descriptions, no overlap at 35
    expect(await count({ search: 'EnCrYpTiOn', status: ['OPEN'] })).toBe(9); // #30 is closed
    expect(await count({ dueAfter: '2027-01-03T00:00:00Z', dueBefore: '2027-01-05T00:00:00Z' })).toBeGreaterThan(0);
    const inRange = await app.graphql<Page>(
      page,
      { first: 500, filter: { dueAfter: '2027-01-03T00:00:00Z', dueBefore: '2027-01-05T00:00:00Z' } },
      token.AUDITOR,
    );
    for (const e of inRange.body.data?.issues.edges ?? []) {
      expect(
        e.node.dueDate && e.node.dueDate >= '2027-01-03' && e.node.dueDate <= '2027-01-05T00:00:00.000Z',
      ).toBeTruthy();
    }
  });

  it('keeps each role to its rights', async () => {
    const read = '{ issues(first: 1) { edges { node { id } } } }';
    const write = 'mutation { createIssue(input: { title: "x" }) { id } }';
    for (const role of ['ADMINISTRATOR', 'ISSUE_MANAGER', 'AUDITOR']) {
      expect((await app.graphql(read, {}, token[role])).status).toBe(200);
    }
    const none = await app.graphql(read, {}, token.NONE);
    expect(none.status).toBe(403);
    expect(none.body.errors?.[0]?.message).toBe(
      'Not authorized: requires the role ADMINISTRATOR or ISSUE_MANAGER or AUDITOR',
    );
    const anonymous = await app.graphql(read);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    for (const role of ['ADMINISTRATOR', 'ISSUE_MANAGER']) {
      const { body } = await app.graphql<{ createIssue: { id: string } }>(write, {}, token[role]);
      expect(body.errors).toBeUndefined();
      await app.graphql('mutation ($id: ID!) { deleteIssue(id: $id) }', { id: body.data?.createIssue.id }, token[role]);
    }
    const before = await app.db.issue.count();
    for (const role of ['AUDITOR', 'NONE']) {
      const { status, body } = await app.graphql(write, {}, token[role]);
      expect(status).toBe(403);
      expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(body.errors?.[0]?.message).toBe('Not authorized: requires the role ADMINISTRATOR or ISSUE_MANAGER');
    }
    expect(await app.db.issue.count()).toBe(before);
  });

  it('validates input and arguments, naming the field', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      [create, { input: { title: '   ' } }, 'input.title'],
      [create, { input: { title: 'x'.repeat(301) } }, 'input.title'],
      [create, { input: { title: 'ok', description: 'd'.repeat(20_001) } }, 'input.description'],
      [create, { input: { title: 'ok', issueOwnerId: 'not-a-uuid' } }, 'input.issueOwnerId'],
      [create, { input: { title: 'ok', issueOwnerId: '00000000-0000-4000-8000-000000000000' } }, 'input.issueOwnerId'],
      [create, { input: { title: 'ok', dueDate: '0001-01-01T00:00:00Z' } }, 'input.dueDate'],
      [page, { first: 501 }, 'first'],
      [page, { first: -1 }, 'first'],
      [page, { last: 501 }, 'last'],
      [page, { first: 1, last: 1 }, 'last'],
      [page, { first: 1, after: 'garbage' }, 'after'],
      [page, { last: 1, before: 'eyJvIjoiSUQ6QVNDIn0' }, 'before'],
      [page, { first: 1, filter: { search: '' } }, 'filter.search'],
      [page, { first: 1, filter: { issueOwnerId: "1' OR '1'='1" } }, 'filter.issueOwnerId'],
      ['query ($id: ID!) { issue(id: $id) { id } }', { id: 'abc' }, 'id'],
      ['query ($id: ID!) { issue(id: $id) { id } }', { id: '-1' }, 'id'],
      ['mutation ($id: ID!) { updateIssue(id: $id, input: { title: null }) { id } }', { id: '1' }, 'input.title'],
    ];
    for (const [query, variables, field] of cases) {
      const { status, body } = await app.graphql(query, variables, token.ADMINISTRATOR);
      expect({ field, status, ext: body.errors?.[0]?.extensions }).toMatchObject({
        field,
        status: 400,
        ext: { code: 'BAD_USER_INPUT', field },
      });
    }
    // A cursor from another ordering is refused, not misread.
    const { body } = await app.graphql<Page>(page, { first: 1 }, token.AUDITOR);
    const idCursor = body.data?.issues.pageInfo.endCursor;
    const mixed = await app.graphql(page, { first: 1, after: idCursor, orderBy: { field: 'DUE_DATE' } }, token.AUDITOR);
    expect(mixed.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const missing = await app.graphql('{ issue(id: "999999") { id } }', {}, token.AUDITOR);
    expect(missing.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('updates, closes, reopens and deletes, each an audit event', async () => {
    const { body } = await app.graphql<{ createIssue: { id: string } }>(
      create,
      { input: { title: 'Lifecycle' } },
      token.ISSUE_MANAGER,
    );
    const id = body.data?.createIssue.id;
    const updated = await app.graphql<{ updateIssue: Record<string, unknown> }>(
      'mutation ($id: ID!) { updateIssue(id: $id, input: { title: "Renamed", severityLevel: HIGH }) { title severityLevel: severity lastUpdatedBy { userName } } }',
      { id },
      token.ADMINISTRATOR,
    );
    expect(updated.body.data?.updateIssue).toEqual({
      title: 'Renamed',
      severityLevel: 'HIGH',
      lastUpdatedBy: { userName: adminUserName },
    });
    const closed = await app.graphql<{ closeIssue: { status: string; dateCompleted: string | null } }>(
      'mutation ($id: ID!) { closeIssue(id: $id) { status: issueStatus dateCompleted } }',
      { id },
      token.ISSUE_MANAGER,
    );
    expect(closed.body.data?.closeIssue.status).toBe('CLOSED');
    expect(closed.body.data?.closeIssue.dateCompleted).toBeTypeOf('string');
    const reopened = await app.graphql<{ reopenIssue: { status: string; dateCompleted: string | null } }>(
      'mutation ($id: ID!) { reopenIssue(id: $id) { status: issueStatus dateCompleted } }',
      { id },
      token.ISSUE_MANAGER,
    );
    expect(reopened.body.data?.reopenIssue).toEqual({ status: 'OPEN', dateCompleted: null });
    const deleted = await app.graphql('mutation ($id: ID!) { deleteIssue(id: $id) }', { id }, token.ISSUE_MANAGER);
    expect(deleted.body.data).toEqual({ deleteIssue: id });
    const actions = (
      await app.db.auditEvent.findMany({ where: { targetType: 'Issue', targetId: id }, orderBy: { id: 'asc' } })
    ).map((e) => e.action);
    expect(actions).toEqual(['issue.created', 'issue.updated', 'issue.closed', 'issue.reopened', 'issue.deleted']);
  });

  it('loads relations with the page, not once per issue (no N+1)', async () => {
    const statements = async (first: number) => {
      const { body } = await app.graphql(
        `{ issues(first: ${first}) { edges { node { id issueOwner { userName } createdBy { userName } lastUpdatedBy { userName } } } } }`,
        {},
        token.AUDITOR,
      );
      expect(body.errors).toBeUndefined();
      const sent = app.sql.splice(0);
      return sent.filter((q) => /^\s*SELECT/i.test(q)).length;
    };
    app.sql.splice(0);
    const small = await statements(2);
    const large = await statements(30);
    expect(small).toBeGreaterThan(0);
    expect(large).toBe(small);
    expect(large).toBeLessThanOrEqual(4);
  });
});
