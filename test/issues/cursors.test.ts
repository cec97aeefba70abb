import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each(testProviders)('crafted cursors on %s', (provider) => {
  let app: TestApp;
  let admin: string;

  beforeAll(async () => {
    app = await startTestApp(provider);
    admin = await app.login(adminUserName, adminPassword);
    await app.graphql('mutation { createIssue(input: { title: "Cursor probe" }) { id } }', {}, admin);
  });
  afterAll(() => app?.close());

  const page = (field: string, after: string) =>
    app.graphql(
      'query ($after: String, $field: IssueOrderField!) { issues(first: 5, after: $after, orderBy: { field: $field }) { edges { node { id } } } }',
      { after, field },
      admin,
    );

  // Each is well-formed JSON with the right ordering tag, but a value its column cannot hold.
  it.each([
    ['SEVERITY', { o: 'SEVERITY:ASC', v: '2026-01-01T00:00:00.000Z', id: 1 }],
    ['SEVERITY', { o: 'SEVERITY:ASC', v: null, id: 1 }],
    ['SEVERITY', { o: 'SEVERITY:ASC', v: 1e300, id: 1 }],
    ['ID', { o: 'ID:ASC', v: 'x', id: 1 }],
    ['CREATED_AT', { o: 'CREATED_AT:ASC', v: 3, id: 1 }],
    ['CREATED_AT', { o: 'CREATED_AT:ASC', v: null, id: 1 }],
    ['UPDATED_AT', { o: 'UPDATED_AT:ASC', v: '+275760-09-13T00:00:00.000Z', id: 1 }],
    ['DUE_DATE', { o: 'DUE_DATE:ASC', v: 7, id: 1 }],
    ['DUE_DATE', { o: 'DUE_DATE:ASC', v: { nested: true }, id: 1 }],
    ['ID', { o: 'ID:ASC', v: 1, id: -5 }],
    ['ID', { o: 'ID:ASC', v: 1, id: 1e12 }],
  ])('%s with %j answers BAD_USER_INPUT', async (field, value) => {
    const { status, body } = await page(field, cursor(value));
    expect({ status, code: body.errors?.[0]?.extensions?.code, field: body.errors?.[0]?.extensions?.field }).toEqual({
      status: 400,
      code: 'BAD_USER_INPUT',
      field: 'after',
    });
  });

  it('takes a null due date, which that column may hold', async () => {
    const { status, body } = await page('DUE_DATE', cursor({ o: 'DUE_DATE:ASC', v: null, id: 1 }));
    expect({ status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
  });
});
