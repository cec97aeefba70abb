import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const issueSelect = /^SELECT[\s\S]+FROM\s+[`"]?(?:main[`"]?\.)?[`"]?(?:public[`"]?\.)?[`"]?Issue[`"]?\s/i;

interface Page {
  issues: { edges: { node: { id: string } }[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } };
}

const pageQuery = `query ($first: Int, $after: String, $order: IssueOrder) {
  issues(first: $first, after: $after, orderBy: $order) { edges { node { id } } pageInfo { endCursor hasNextPage } }
}`;

// A keyset page is one index range per part of the order (the rest of the cursor's value, the
// values beyond it, the nulls), asked at once; one range from the cursor on for write times, and
// the rest of a severity alone first, so that a page deep in the list makes the round trips the
// first page makes.
describe.each(testProviders)('the queries a page of issues makes on %s', (provider) => {
  let app: TestApp;
  let token: string;
  /** Ids in the order of each ordering, read in one page. */
  const all: Record<string, string[]> = {};
  beforeAll(async () => {
    app = await startTestApp(provider);
    token = await app.login(adminUserName, adminPassword);
    // 12 issues: four severities; due dates with ties, the last three without one.
    const severities = ['HIGH', 'MODERATE', 'LOW', 'NOT_ASSIGNED'];
    for (let i = 0; i < 12; i++) {
      const { body } = await app.graphql(
        'mutation ($input: CreateIssueInput!) { createIssue(input: $input) { id } }',
        {
          input: {
            title: `Page query ${i}`,
            severityLevel: severities[i % 4],
            dueDate: i >= 9 ? null : new Date(Date.UTC(2027, 0, 1 + (i % 3))).toISOString(),
          },
        },
        token,
      );
      expect(body.errors).toBeUndefined();
    }
    for (const field of ['DUE_DATE', 'SEVERITY', 'CREATED_AT', 'ID']) {
      all[field] = (await page({ first: 100, order: { field } })).ids;
    }
  });
  afterAll(() => app.close());

  async function page(variables: Record<string, unknown>) {
    app.sql.length = 0;
    const { body } = await app.graphql<Page>(pageQuery, variables, token);
    expect(body.errors).toBeUndefined();
    const issues = body.data?.issues;
    if (!issues) throw new Error('no page');
    return {
      ids: issues.edges.map((e) => e.node.id),
      endCursor: issues.pageInfo.endCursor,
      selects: app.sql.filter((q) => issueSelect.test(q)).length,
    };
  }

  it.each([
    // [ordering, page size, the issue SELECTs of the first page, then of the second]
    ['CREATED_AT', 3, 1, 1],
    ['ID', 3, 1, 1],
    // Past a severity, the rest of it is read alone: it fills this page (three issues share each).
    ['SEVERITY', 1, 1, 1],
    // The dated issues and the nulls after them are asked at once, on the first page as deeper
    // (the rest of the cursor's date, the later dates, the nulls).
    ['DUE_DATE', 1, 2, 3],
  ] as const)(
    '%s: pages of %i make %i and %i queries, and answer the order of one big page',
    async (field, size, first, second) => {
      const one = await page({ first: size, order: { field } });
      expect(one.selects).toBe(first);
      const two = await page({ first: size, after: one.endCursor, order: { field } });
      expect(two.selects).toBe(second);
      expect([...one.ids, ...two.ids]).toEqual(all[field]?.slice(0, 2 * size));
    },
  );

  it('reads the next parts when a page reaches the end of one: severity, and the nulls of due dates', async () => {
    // The second page by severity starts at the last HIGH issue and runs into MODERATE.
    const bySeverity = await page({ first: 2, order: { field: 'SEVERITY' } });
    const across = await page({ first: 2, after: bySeverity.endCursor, order: { field: 'SEVERITY' } });
    expect(across.selects).toBe(2);
    expect([...bySeverity.ids, ...across.ids]).toEqual(all.SEVERITY?.slice(0, 4));
    // Nine dated issues, then the three without: a page after the eighth answers the ninth and the nulls.
    const dated = await page({ first: 8, order: { field: 'DUE_DATE' } });
    const rest = await page({ first: 5, after: dated.endCursor, order: { field: 'DUE_DATE' } });
    expect(rest.ids).toEqual(all.DUE_DATE?.slice(8));
    expect(rest.ids).toHaveLength(4);
    expect(rest.selects).toBe(3);
  });
});
