import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueJson } from '../../src/rest/issues.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';

describe('the OpenAPI document and Swagger UI', () => {
  let app: TestApp;
  let hidden: TestApp;

  beforeAll(async () => {
    app = await startTestApp('sqlite');
    hidden = await startTestApp('sqlite', { VIEW_APIS: 'false' });
  });
  afterAll(async () => {
    await app.close();
    await hidden.close();
  });

  async function document() {
    const response = await app.fetch('/swagger/v1/swagger.json');
    expect(response.status).toBe(200);
    return response.json();
  }

  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = await document();
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('covers every REST endpoint, and every documented operation exists', async () => {
    const doc = await document();
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'GET /.well-known/jwks.json',
        'GET /api/issues/getAll',
        'GET /api/issues/{id}',
        'GET /healthz',
        'GET /readyz',
        'POST /api/authentication/login',
      ].sort(),
    );
    for (const operation of operations) {
      const [method, path] = operation.split(' ') as [string, string];
      const response = await app.fetch(path.replace('{id}', '1'), { method });
      expect({ operation, status: response.status }).not.toEqual({ operation, status: 405 });
      expect(response.headers.get('content-type') ?? '').toMatch(/json/);
    }
  });

  it('describes the issue exactly as the API answers it', async () => {
    const doc = await document();
    const admin = await app.login(adminUserName, adminPassword);
    await app.graphql('mutation { createIssue(input: { title: "Shape check" }) { id } }', {}, admin);
    const issue = await app.db.issue.findFirstOrThrow();
    expect(Object.keys(doc.components.schemas.Issue.properties).sort()).toEqual(Object.keys(issueJson(issue)).sort());
    const rest = await (
      await app.fetch(`/api/issues/${issue.id}`, { headers: { authorization: `Bearer ${admin}` } })
    ).json();
    expect(Object.keys(rest).sort()).toEqual(doc.components.schemas.Issue.required.sort());
  });

  it('serves Swagger UI from this server, no CDN', async () => {
    const page = await app.fetch('/swagger');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(assets).toEqual(expect.arrayContaining(['/swagger/assets/swagger-ui-bundle.js', '/swagger/assets/init.js']));
    for (const asset of assets) {
      const response = await app.fetch(asset);
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
    }
    expect(await (await app.fetch('/swagger/assets/init.js')).text()).toContain('/swagger/v1/swagger.json');
    expect((await app.fetch('/swagger/assets/package.json')).status).toBe(404);
    expect((await app.fetch('/swagger/assets/..%2Fpackage.json')).status).toBe(404);
  });

  it('is not served at all when VIEW_APIS is false', async () => {
    for (const path of [
      '/swagger',
      '/swagger/v1/swagger.json',
      '/swagger/assets/swagger-ui-bundle.js',
      '/swagger/assets/init.js',
    ]) {
      const response = await hidden.fetch(path);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    }
  });
});
