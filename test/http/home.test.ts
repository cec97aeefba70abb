import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

describe.each(testProviders)('the bare address and unknown paths on %s', (provider) => {
  let app: TestApp;
  let hidden: TestApp;

  beforeAll(async () => {
    app = await startTestApp(provider, { METRICS_ENABLED: 'true' });
    hidden = await startTestApp(provider, { VIEW_APIS: 'false' });
  });
  afterAll(async () => {
    await hidden?.close();
    await app?.close();
  });

  it('GET / answers a JSON index of the endpoints', async () => {
    const response = await app.fetch('/');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { endpoints: { path: string; methods: string[]; summary: string }[] };
    const paths = body.endpoints.map((e) => e.path);
    for (const path of [
      '/graphql',
      '/api/issues/getAll',
      '/api/issues/{id}',
      '/api/authentication/login',
      '/.well-known/jwks.json',
      '/healthz',
      '/readyz',
      '/admin',
      '/metrics',
      '/swagger',
      '/swagger/v1/swagger.json',
    ]) {
      expect(paths).toContain(path);
    }
    for (const endpoint of body.endpoints) expect(endpoint.summary).toBeTruthy();
    // Each listed endpoint is really there.
    for (const endpoint of body.endpoints.filter((e) => !e.path.includes('{') && e.methods.includes('GET'))) {
      const answer = await app.fetch(endpoint.path);
      expect({ path: endpoint.path, found: answer.status !== 404 }).toEqual({ path: endpoint.path, found: true });
      await answer.body?.cancel();
    }
  });

  it('lists no contract documents when VIEW_APIS is false', async () => {
    const body = (await (await hidden.fetch('/')).json()) as { endpoints: { path: string }[] };
    const paths = body.endpoints.map((e) => e.path);
    expect(paths).not.toContain('/swagger');
    expect(paths).not.toContain('/swagger/v1/swagger.json');
    expect(paths).toContain('/graphql');
  });

  it('answers unknown paths anywhere in the JSON error shape', async () => {
    for (const path of ['/nowhere', '/api/nope', '/graphqlx', '/admin/x/y']) {
      const response = await app.fetch(path);
      expect({ path, status: response.status, body: await response.json() }).toEqual({
        path,
        status: 404,
        body: { error: { code: 'NOT_FOUND', message: `No such endpoint: GET ${path}` } },
      });
    }
  });

  it('labels metrics by route pattern, never by the path sent', async () => {
    for (const path of ['/made-up-1', '/made-up-2', '/api/issues/12345']) await (await app.fetch(path)).body?.cancel();
    const text = await (await app.fetch('/metrics')).text();
    expect(text).not.toContain('made-up');
    expect(text).toContain('route="other"');
    expect(text).toContain('route="/api/issues/{id}"');
  });
});
