import { getNamedType, isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxPageSize } from '../../src/issues/input.ts';
import { schema } from '../../src/schema/index.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const issueType = schema.getType('Issue');
const scalars = isObjectType(issueType)
  ? Object.values(issueType.getFields())
      .filter((f) => !isObjectType(getNamedType(f.type)))
      .map((f) => f.name)
  : [];

// The cost limit and the page limit agree: a full page passes, however its size is given.
describe.each(testProviders)('the cost of a full page on %s', (provider) => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await startTestApp(provider);
    token = await app.login(adminUserName, adminPassword);
  });
  afterAll(() => app.close());

  const five = 'id title status severityLevel dueDate';
  it.each([
    ['first: 500, five fields', `{ issues(first: ${maxPageSize}) { edges { node { ${five} } } } }`],
    ['first: 200, five fields', `{ issues(first: 200) { edges { cursor node { ${five} } } pageInfo { endCursor } } }`],
    ['last: 500, five fields', `{ issues(last: ${maxPageSize}) { edges { node { ${five} } } } }`],
    ['take: 500, five fields', `{ issues(take: ${maxPageSize}) { items { ${five} } totalCount } }`],
    ['first: 500, every scalar field', `{ issues(first: ${maxPageSize}) { edges { node { ${scalars.join(' ')} } } } }`],
  ])('%s is not refused as too costly', async (_name, query) => {
    const { status, body } = await app.graphql(query, {}, token);
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
  });

  it('a page size given as a variable counts as the largest page', async () => {
    const query = `query ($n: Int) { issues(first: $n) { edges { node { ${five} } } } }`;
    expect((await app.graphql(query, { n: maxPageSize }, token)).body.errors).toBeUndefined();
    const many = `query ($n: Int) { ${Array.from({ length: 12 }, (_, i) => `a${i}: issues(first: $n) { edges { node { ${scalars.join(' ')} } } }`).join(' ')} }`;
    const { status, body } = await app.graphql(many, { n: 1 }, token);
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({
      message: 'Syntax Error: Query too costly.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });
});
