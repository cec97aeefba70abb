import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

/**
 * urql's default request for a query (@urql/core 5, `preferGetMethod:
 * 'within-url-limit'`): GET with the query, operation name and variables in
 * the URL, its `accept` header, no content type, and the headers the app
 * adds in `fetchOptions` (here the bearer token).
 */
function urqlGet(query: string, operationName: string, variables: Record<string, unknown>, token: string) {
  const url = new URL('http://localhost/graphql');
  url.searchParams.set('query', query);
  url.searchParams.set('operationName', operationName);
  if (Object.keys(variables).length > 0) url.searchParams.set('variables', JSON.stringify(variables));
  return {
    path: `${url.pathname}${url.search}`,
    init: {
      method: 'GET',
      headers: {
        accept:
          'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed',
        authorization: `Bearer ${token}`,
      },
    },
  };
}

describe.each(testProviders)('GET queries from clients with default settings on %s', (provider) => {
  let app: TestApp;
  let token = '';

  beforeAll(async () => {
    app = await startTestApp(provider);
    token = await app.login(adminUserName, adminPassword);
    await app.db.issue.createMany({ data: [{ title: 'Seen by urql' }] });
  });
  afterAll(() => app.close());

  it('answers urql’s default GET query without a CSRF header', async () => {
    const { path, init } = urqlGet(
      'query Issues($first:Int){issues(first:$first){edges{node{id title}}}}',
      'Issues',
      { first: 5 },
      token,
    );
    const response = await app.fetch(path, init);
    expect(response.status).toBe(200);
    expect((await response.json()).data.issues.edges).toEqual([{ node: { id: '1', title: 'Seen by urql' } }]);
  });

  it('still refuses a mutation over GET, and a form POST without the CSRF header', async () => {
    const { path, init } = urqlGet('mutation Delete{deleteIssue(id:"1")}', 'Delete', {}, token);
    const get = await app.fetch(path, init);
    expect(get.status).toBe(405);
    const form = await app.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
      body: 'query=mutation%7BdeleteIssue(id%3A%221%22)%7D',
    });
    expect(form.status).toBe(403);
    expect((await form.json()).errors[0].extensions.code).toBe('CSRF_PREVENTED');
    expect(await app.db.issue.count()).toBe(1);
  });
});
