import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

/** The columns of the one Issue SELECT the last request sent, as named in its column list. */
function issueColumns(app: TestApp): string[] {
  const select = app.sql.filter(
    (q) => /^SELECT/i.test(q) && /FROM\s+[`"]?(?:main[`"]?\.)?[`"]?(?:public[`"]?\.)?[`"]?Issue[`"]?\s/i.test(q),
  );
  expect(select.length).toBeGreaterThan(0);
  const list = (select.at(-1) ?? '').replace(/^SELECT\s+/i, '').split(/\s+FROM\s+/i)[0] ?? '';
  return [...list.matchAll(/[`"]Issue[`"]\.[`"](\w+)[`"]/g)].map((m) => m[1] as string).sort();
}

// A page reads the columns its issues ask for (and id), however the query asks for them.
describe.each(testProviders)('the columns a page of issues reads on %s', (provider) => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await startTestApp(provider);
    token = await app.login(adminUserName, adminPassword);
    for (const title of ['first', 'second'])
      await app.graphql(
        'mutation ($t: String!) { createIssue(input: { title: $t, severityLevel: HIGH, dueDate: "2027-01-31T00:00:00.000Z" }) { id } }',
        { t: title },
        token,
      );
  });
  afterAll(() => app.close());

  const page = async (query: string, variables: Record<string, unknown> = {}) => {
    app.sql.length = 0;
    const { body } = await app.graphql<{ issues: Record<string, { node?: object }[] | object[]> }>(
      query,
      variables,
      token,
    );
    expect(body.errors).toBeUndefined();
    return { data: body.data, columns: issueColumns(app) };
  };

  it('reads only the asked columns of a plain page', async () => {
    const { data, columns } = await page('{ issues(first: 5) { edges { node { title dueDate } } } }');
    expect(columns).toEqual(['dueDate', 'id', 'title']);
    expect(data?.issues.edges).toEqual([
      { node: { title: 'first', dueDate: '2027-01-31T00:00:00.000Z' } },
      { node: { title: 'second', dueDate: '2027-01-31T00:00:00.000Z' } },
    ]);
  });

  it('follows fragments, aliases and @include, and RegScale’s names of the same columns', async () => {
    const { data, columns } = await page(
      `query ($withDue: Boolean!) {
        issues(first: 5) { edges { node { ...Names label: severityLevel due: dueDate @include(if: $withDue) } } }
      }
      fragment Names on Issue { ... on Issue { title dateCreated } }`,
      { withDue: false },
    );
    expect(columns).toEqual(['createdAt', 'id', 'severityLevel', 'title']);
    const first = (data?.issues.edges as { node: Record<string, unknown> }[] | undefined)?.[0]?.node;
    expect(first).toMatchObject({ title: 'first', label: 'I - High - Significant Deficiency' });
    expect(first).not.toHaveProperty('due');
    expect(typeof first?.dateCreated).toBe('string');
  });

  it('reads what a RegScale segment page (items) and a relation ask for', async () => {
    const { data, columns } = await page(
      '{ issues(take: 5) { items { id issueStatus isPoam createdBy { userName } } } }',
    );
    expect(columns).toEqual(expect.arrayContaining(['id', 'isPoam', 'status']));
    expect(columns).not.toContain('title');
    expect(data?.issues.items?.[0]).toEqual({
      id: '1',
      issueStatus: 'OPEN',
      isPoam: false,
      createdBy: { userName: adminUserName },
    });
  });

  it('reads the ordering’s column for a cursor, and answers a page after it', async () => {
    const first = await page(
      '{ issues(first: 1, orderBy: { field: DUE_DATE }) { edges { cursor node { title } } pageInfo { endCursor } } }',
    );
    expect(first.columns).toEqual(['dueDate', 'id', 'title']);
    const after = (first.data?.issues as unknown as { pageInfo: { endCursor: string } } | undefined)?.pageInfo
      .endCursor;
    const next = await page(
      'query ($a: String) { issues(first: 1, after: $a, orderBy: { field: DUE_DATE }) { edges { node { title } } } }',
      { a: after },
    );
    expect(next.data?.issues.edges).toEqual([{ node: { title: 'second' } }]);
  });
});
