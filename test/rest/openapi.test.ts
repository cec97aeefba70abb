import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthRoutes } from '../../src/http/health.ts';
import type { Route } from '../../src/http/router.ts';
import { createLogger } from '../../src/logger.ts';
import { auditRoutes } from '../../src/rest/audit.ts';
import { authRoutes } from '../../src/rest/authentication.ts';
import { issueJson } from '../../src/rest/issue-json.ts';
import { issueRoutes } from '../../src/rest/issues.ts';
import { openApiDocument } from '../../src/rest/openapi.ts';
import { regscaleIssueRoutes } from '../../src/rest/regscale-issues.ts';
import type { RestKit } from '../../src/rest/respond.ts';
import { sessionRoutes } from '../../src/rest/sessions.ts';
import { version } from '../../src/version.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const documentPath = '/swagger/v1/swagger.json';

interface Schema {
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  required?: string[];
  properties?: Record<string, Schema>;
}

interface Operation {
  parameters?: { name: string; in: string; schema: { minimum?: number; maximum?: number } }[];
  responses: Record<string, unknown>;
  operationId?: string;
}

/** Every problem of `value` against the subset of JSON Schema the Issue schema uses. */
function schemaProblems(schema: Schema, value: unknown, at = ''): string[] {
  const types = [schema.type ?? []].flat();
  const actual = value === null ? 'null' : Number.isInteger(value) ? 'integer' : typeof value;
  if (types.length && !types.includes(actual)) return [`${at}: ${actual} is not ${types.join('|')}`];
  if (value === null) return [];
  if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${value} is not one of the enum`];
  if (schema.format === 'date-time' && new Date(value as string).toISOString() !== value) {
    return [`${at}: ${value} is not an ISO date-time`];
  }
  if (schema.format === 'uuid' && !/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/.test(value as string)) {
    return [`${at}: ${value} is not a uuid`];
  }
  const record = value as Record<string, unknown>;
  return [
    ...(schema.required ?? []).filter((key) => !(key in record)).map((key) => `${at}.${key}: missing`),
    ...Object.keys(schema.properties ? record : {})
      .filter((key) => !schema.properties?.[key])
      .map((key) => `${at}.${key}: not in the schema`),
    ...Object.entries(schema.properties ?? {}).flatMap(([key, sub]) =>
      key in record ? schemaProblems(sub, record[key], `${at}.${key}`) : [],
    ),
  ];
}

describe.each(testProviders)('the OpenAPI document and Swagger UI on %s', (provider) => {
  let app: TestApp;
  let hidden: TestApp;
  let admin: string;
  let doc: {
    openapi: string;
    info: { version: string };
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, Schema> };
  };

  beforeAll(async () => {
    app = await startTestApp(provider);
    hidden = await startTestApp(provider, { VIEW_APIS: 'false' });
    admin = await app.login(adminUserName, adminPassword);
    const response = await app.fetch(documentPath);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    doc = await response.json();
  });
  afterAll(async () => {
    await app?.close();
    await hidden?.close();
  });

  /** `METHOD /path` of every operation the document describes. */
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => ({ method: method.toUpperCase(), path, operation: item[method] as Operation })),
    );

  it('passes what Redocly’s recommended rules ask (npm run openapi:lint runs Redocly itself)', () => {
    for (const { method, path, operation } of operations()) {
      const op = operation as Operation & { security?: unknown[]; responses: Record<string, unknown> };
      // security-defined: public operations say `security: []`.
      expect({ method, path, security: Array.isArray(op.security) }).toEqual({ method, path, security: true });
      // operation-4xx-response.
      expect({ method, path, has4xx: Object.keys(op.responses).some((code) => /^4/.test(code)) }).toEqual({
        method,
        path,
        has4xx: true,
      });
      expect(op.operationId).toMatch(/^\w+$/);
    }
    const publicOps = operations().filter((o) => (o.operation as { security?: unknown[] }).security?.length === 0);
    expect(publicOps.map((o) => `${o.method} ${o.path}`).sort()).toEqual([
      'GET /.well-known/jwks.json',
      'GET /healthz',
      'GET /readyz',
      'POST /api/authentication/login',
      'POST /api/authentication/validateToken',
    ]);
    // The JWKS answer has a schema of its keys, not a bare object.
    const jwks = doc.paths['/.well-known/jwks.json']?.get as unknown as {
      responses: {
        '200': { content: { 'application/json': { schema: { properties?: { keys?: { type: string } } } } } };
      };
    };
    expect(jwks.responses['200'].content['application/json'].schema.properties?.keys?.type).toBe('array');
  });

  it('is a valid OpenAPI 3.1 document of this version', async () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe(version);
    const validator = new Validator();
    // The validator resolves (and so checks) every $ref, in place: it gets a copy.
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    const ids = operations().map((o) => o.operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, operation } of operations()) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect({ path, declared }).toEqual({ path, declared: templated });
    }
  });

  it('is built from, and documents every method of, the routes the server registers', () => {
    // The same factories, in the same order, as `apiRoutes` in src/server.ts; handlers are never called.
    const kit: RestKit = { contextFor: () => Promise.reject(new Error('not called')), log: createLogger('silent') };
    const routes: Route[] = [
      ...healthRoutes(app.config, app.db),
      ...authRoutes(kit, app.auth.keys),
      ...sessionRoutes(kit),
      ...regscaleIssueRoutes(kit),
      ...issueRoutes(kit),
      ...auditRoutes(kit),
    ];
    expect(JSON.parse(JSON.stringify(openApiDocument(routes)))).toEqual(doc);
    for (const route of routes) {
      expect({ path: route.path, documented: Object.keys(route.docs ?? {}).sort() }).toEqual({
        path: route.path,
        documented: Object.keys(route.methods).sort(),
      });
    }
    expect(
      operations()
        .map((o) => `${o.method} ${o.path}`)
        .sort(),
    ).toEqual(routes.flatMap((route) => Object.keys(route.methods).map((method) => `${method} ${route.path}`)).sort());
    expect(
      operations()
        .map((o) => `${o.method} ${o.path}`)
        .sort(),
    ).toEqual([
      'GET /.well-known/jwks.json',
      'GET /api/audit/export',
      'GET /api/issues/getAll',
      'GET /api/issues/getAllByParent/{parentId}/{module}',
      'GET /api/issues/{id}',
      'GET /healthz',
      'GET /readyz',
      'POST /api/authentication/login',
      'POST /api/authentication/logout',
      'POST /api/authentication/validateToken',
      'POST /api/issues',
      'POST /api/issues/batchCreate',
      'POST /api/issues/batchCreateOrUpdate',
      'PUT /api/issues/batchUpdate',
      'PUT /api/issues/{id}',
    ]);
  });

  it('describes only operations the server answers, with statuses it documents', async () => {
    const { body } = await app.graphql<{ createIssue: { id: string } }>(
      'mutation { createIssue(input: { title: "Probe" }) { id } }',
      {},
      admin,
    );
    const id = body.data?.createIssue.id ?? '';
    for (const { method, path, operation } of operations()) {
      // Logout ends the session it is sent with: it gets a session of its own.
      const token = path === '/api/authentication/logout' ? await app.login(adminUserName, adminPassword) : admin;
      for (const bearer of [undefined, token]) {
        const response = await app.fetch(path.replace('{id}', id), {
          method,
          headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
        });
        const seen = { operation: `${method} ${path}`, bearer: Boolean(bearer), status: response.status };
        expect(seen.status).not.toBe(404);
        expect(seen.status).not.toBe(405);
        expect(Object.keys(operation.responses)).toContain(String(seen.status));
        if (seen.status !== 204) expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        await response.body?.cancel();
      }
    }
  });

  it('enforces the bounds it documents for skip, take and id', async () => {
    const bound = (path: string, name: string) => {
      const schema = doc.paths[path]?.get?.parameters?.find((p) => p.name === name)?.schema;
      return { min: schema?.minimum ?? Number.NaN, max: schema?.maximum ?? Number.NaN };
    };
    const status = async (path: string) =>
      (await app.fetch(path, { headers: { authorization: `Bearer ${admin}` } })).status;
    const skip = bound('/api/issues/getAll', 'skip');
    const take = bound('/api/issues/getAll', 'take');
    const id = bound('/api/issues/{id}', 'id');
    expect(await status(`/api/issues/getAll?skip=${skip.min}`)).toBe(200);
    expect(await status(`/api/issues/getAll?skip=${skip.max}`)).toBe(200);
    expect(await status(`/api/issues/getAll?skip=${skip.min - 1}`)).toBe(400);
    expect(await status(`/api/issues/getAll?skip=${skip.max + 1}`)).toBe(400);
    expect(await status(`/api/issues/getAll?take=${take.min}`)).toBe(200);
    expect(await status(`/api/issues/getAll?take=${take.max}`)).toBe(200);
    expect(await status(`/api/issues/getAll?take=${take.min - 1}`)).toBe(400);
    expect(await status(`/api/issues/getAll?take=${take.max + 1}`)).toBe(400);
    expect(await status(`/api/issues/${id.max}`)).toBe(404);
    expect(await status(`/api/issues/${id.min - 1}`)).toBe(400);
    expect(await status(`/api/issues/${id.max + 1}`)).toBe(400);
  });

  it('describes the issue exactly as the API answers it', async () => {
    const ownerId = await app.createUser('schema.owner', ['AUDITOR']);
    const { body } = await app.graphql<{ createIssue: { id: string } }>(
      'mutation ($input: CreateIssueInput!) { createIssue(input: $input) { id } }',
      {
        input: {
          title: 'Every field set',
          description: 'With a description',
          severityLevel: 'HIGH',
          status: 'OPEN',
          dueDate: '2030-01-31T00:00:00.000Z',
          issueOwnerId: ownerId,
        },
      },
      admin,
    );
    const full = await app.db.issue.findUniqueOrThrow({ where: { id: Number(body.data?.createIssue.id) } });
    const schema = doc.components.schemas.Issue as Schema;
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(Object.keys(issueJson(full)).sort());
    expect([...(schema.required ?? [])].sort()).toEqual(Object.keys(issueJson(full)).sort());
    const answered = (await (
      await app.fetch('/api/issues/getAll', { headers: { authorization: `Bearer ${admin}` } })
    ).json()) as unknown[];
    // One issue with every optional field set, and the probe's with none of them.
    expect(answered.length).toBeGreaterThanOrEqual(2);
    for (const issue of answered) expect(schemaProblems(schema, issue)).toEqual([]);
    expect(schemaProblems(schema, { ...issueJson(full), severityLevel: 'URGENT' })).toHaveLength(1);
  });

  it('serves Swagger UI and its assets from this server, with types and caching', async () => {
    const page = await app.fetch('/swagger');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    expect(html).toContain(`data-url="${documentPath}"`);
    expect(html).toContain(`href="${documentPath}"`);
    expect(html).not.toMatch(/https?:\/\//);
    // No inline script: the page's CSP allows scripts from this origin only.
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    const linked = [...html.matchAll(/(?:href|src)="(\/swagger\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    const types = {
      'swagger-ui.css': 'text/css; charset=utf-8',
      'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
      'init.js': 'text/javascript; charset=utf-8',
      'favicon-32x32.png': 'image/png',
    };
    expect(linked.map((url) => new URL(url, 'http://x').pathname.split('/').pop()).sort()).toEqual(
      Object.keys(types).sort(),
    );
    for (const url of linked) {
      const response = await app.fetch(url);
      const name = new URL(url, 'http://x').pathname.split('/').pop() as keyof typeof types;
      expect({ url, status: response.status, type: response.headers.get('content-type') }).toEqual({
        url,
        status: 200,
        type: types[name],
      });
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
    const init = await (await app.fetch('/swagger/assets/init.js')).text();
    expect(init).toContain('SwaggerUIBundle(');
    // Swagger UI would otherwise send the document's URL to validator.swagger.io.
    expect(init).toContain('validatorUrl: null');
    expect(init).not.toMatch(/https?:\/\//);
  });

  it('lets clients revalidate assets at unversioned URLs', async () => {
    const plain = await app.fetch('/swagger/assets/swagger-ui.css');
    expect(plain.status).toBe(200);
    expect(plain.headers.get('cache-control')).toBe('no-cache');
    const etag = plain.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[\w-]+"$/);
    await plain.body?.cancel();
    const again = await app.fetch('/swagger/assets/swagger-ui.css', { headers: { 'if-none-match': `W/${etag}` } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const stale = await app.fetch('/swagger/assets/swagger-ui.css?v=old', { headers: { 'if-none-match': '"old"' } });
    expect(stale.status).toBe(200);
    expect(stale.headers.get('cache-control')).toBe('no-cache');
    await stale.body?.cancel();
  });

  it('answers other files under /swagger/assets/ as unknown paths', async () => {
    const unknown = await app.fetch('/nowhere');
    for (const path of [
      '/swagger/assets/package.json',
      '/swagger/assets/index.html',
      '/swagger/assets/..%2Fpackage.json',
      '/swagger/assets/',
    ]) {
      const response = await app.fetch(path);
      expect({ path, status: response.status, body: await response.json() }).toEqual({
        path,
        status: unknown.status,
        body: { error: { code: 'NOT_FOUND', message: `No such endpoint: GET ${new URL(path, 'http://x').pathname}` } },
      });
    }
  });

  it('is not served at all when VIEW_APIS is false', async () => {
    const unknown = await hidden.fetch('/nowhere');
    expect(unknown.status).toBe(404);
    const like = { status: 404, type: unknown.headers.get('content-type'), code: (await unknown.json()).error.code };
    for (const path of [
      '/swagger',
      '/swagger/',
      documentPath,
      '/swagger/assets/swagger-ui-bundle.js',
      '/swagger/assets/swagger-ui.css',
      '/swagger/assets/init.js',
      '/swagger/assets/favicon-32x32.png',
    ]) {
      const response = await hidden.fetch(path);
      expect({
        path,
        status: response.status,
        type: response.headers.get('content-type'),
        code: (await response.json()).error.code,
      }).toEqual({ path, ...like });
    }
    // The API itself is still there.
    expect((await hidden.fetch('/healthz')).status).toBe(200);
  });
});
