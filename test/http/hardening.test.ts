import { connect } from 'node:net';
import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';
import { killAll, startServerProcess } from '../support/process.ts';

const gqlInit = (query: string, token?: string, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  body: JSON.stringify({ query }),
});

describe('published contracts with VIEW_APIS=true', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('sqlite', { VIEW_APIS: 'true' });
  });
  afterAll(() => app.close());

  it('allows introspection, suggestions and GraphiQL (bundled, no CDN)', async () => {
    const { status, body } = await app.graphql<{ __schema: { types: { name: string }[] } }>(
      '{ __schema { types { name } } }',
    );
    expect(status).toBe(200);
    expect(body.data?.__schema.types.map((t) => t.name)).toContain('Issue');
    const suggestion = await app.graphql('{ versio }');
    expect(suggestion.body.errors?.[0]?.message).toMatch(/Did you mean "version"\?/);
    const page = await app.fetch('/graphql', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('GraphiQL');
    expect(html).not.toMatch(/<script[^>]+src="https?:|<link[^>]+href="https?:/);
    expect(page.headers.get('content-security-policy')).toContain("worker-src 'self' blob:");
    expect(await (await app.fetch('/readyz')).json()).toMatchObject({ viewApis: true });
  });
});

describe('VIEW_APIS=false is visible to operators', () => {
  it('in /readyz', async () => {
    const app = await startTestApp('sqlite', { VIEW_APIS: 'false' });
    try {
      expect(await (await app.fetch('/readyz')).json()).toMatchObject({ viewApis: false });
    } finally {
      await app.close();
    }
  });
});

describe.each(testProviders)('hardening on %s', (provider) => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await startTestApp(provider, { RATE_LIMIT_PER_MINUTE: '0' });
    token = await app.login(adminUserName, adminPassword);
  });
  afterAll(() => app.close());

  it('sends security headers on every kind of response', async () => {
    for (const [path, init] of [
      ['/graphql', gqlInit('{ version }')],
      ['/graphql', gqlInit('{ nope }')],
      ['/api/issues/getAll', {}],
      ['/api/nope', {}],
      ['/healthz', {}],
      ['/swagger/v1/swagger.json', {}],
      ['/nowhere', {}],
    ] as const) {
      const response = await app.fetch(path, init);
      expect({ path, nosniff: response.headers.get('x-content-type-options') }).toEqual({ path, nosniff: 'nosniff' });
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'; frame-ancestors 'none'/);
      expect(response.headers.get('x-request-id')).toMatch(/^[\w-]{8,}$/);
    }
    const swagger = await app.fetch('/swagger');
    expect(swagger.headers.get('content-security-policy')).toContain("script-src 'self';");
  });

  it('answers CORS only for configured origins', async () => {
    const preflight = (target: TestApp, origin: string) =>
      target.fetch('/graphql', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    expect((await preflight(app, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    const open = await startTestApp(provider, { CORS_ORIGINS: 'https://app.example.com' });
    try {
      expect((await preflight(open, 'https://app.example.com')).headers.get('access-control-allow-origin')).toBe(
        'https://app.example.com',
      );
      expect((await preflight(open, 'https://evil.example')).headers.get('access-control-allow-origin')).not.toBe(
        'https://evil.example',
      );
    } finally {
      await open.close();
    }
  });

  it('masks unexpected errors: a generic message with the request id, details only in the log', async () => {
    const spy = vi
      .spyOn(app.db.issue, 'findMany')
      .mockRejectedValueOnce(new Error('boom at /srv/secret/path.ts:12 with password hunter2'));
    try {
      const response = await app.fetch('/graphql', gqlInit('{ issues(first: 1) { totalCount } }', token));
      const requestId = response.headers.get('x-request-id');
      const body = await response.json();
      expect(body.errors[0]).toMatchObject({
        message: `Unexpected error (request id ${requestId})`,
        extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
      });
      expect(JSON.stringify(body)).not.toMatch(/boom|secret|hunter2|\bat\b.*\.ts/);
      expect(app.logs.some((l) => l.includes('boom') && l.includes(requestId ?? '-'))).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  it('answers 503 SERVICE_UNAVAILABLE when the database fails to answer', async () => {
    const down = Object.assign(new Error("Can't reach database server"), { code: 'P1001' });
    const spy = vi.spyOn(app.db.issue, 'findMany').mockRejectedValue(down);
    try {
      const gql = await app.fetch('/graphql', gqlInit('{ issues(first: 1) { totalCount } }', token));
      expect((await gql.json()).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
      const rest = await app.fetch('/api/issues/getAll?take=1', { headers: { authorization: `Bearer ${token}` } });
      expect(rest.status).toBe(503);
      expect(rest.headers.get('retry-after')).toBe('5');
      expect((await rest.json()).error.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      spy.mockRestore();
    }
  });

  it('passes every MUST audit of the GraphQL over HTTP spec (graphql-http)', async () => {
    const results = await auditServer({
      url: 'http://localhost/graphql',
      fetchFn: (input: string, init: RequestInit) => {
        const url = new URL(input);
        return app.fetch(url.pathname + url.search, init);
      },
    });
    const must = results.filter((r) => r.name.startsWith('MUST'));
    expect(must.length).toBeGreaterThan(10);
    expect(must.filter((r) => r.status !== 'ok').map((r) => r.name)).toEqual([]);
  });
});

describe('rate limiting', () => {
  it('refuses a burst beyond the budget with 429 and Retry-After, per credential', async () => {
    const app = await startTestApp('sqlite', { RATE_LIMIT_PER_MINUTE: '5' });
    try {
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await app.fetch('/graphql', gqlInit('{ version }'))).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const limited = await app.fetch('/graphql', gqlInit('{ version }'));
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await limited.json()).errors[0].extensions.code).toBe('RATE_LIMITED');
      const rest = await app.fetch('/api/issues/getAll');
      expect(rest.status).toBe(429);
      expect((await rest.json()).error.code).toBe('RATE_LIMITED');
      // A token that does not verify earns no budget of its own; health probes are never limited.
      const forged = await app.fetch('/graphql', gqlInit('{ version }', 'some.other.token'));
      expect(forged.status).toBe(429);
      expect((await app.fetch('/healthz')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe.each(testProviders)('rate limiting by credential on %s', (provider) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(provider, { RATE_LIMIT_PER_MINUTE: '5' });
  });
  afterAll(() => app.close());

  const version = (authorization?: string) =>
    app.fetch('/graphql', gqlInit('{ version }', undefined, authorization ? { authorization } : {}));

  it('keys the budget by the verified token, however the header spells it', async () => {
    // Two logins: two of the address's five requests.
    const token = await app.login(adminUserName, adminPassword);
    const other = await app.login(adminUserName, adminPassword);
    const spellings = [`Bearer ${token}`, `bearer ${token}`, `BEARER ${token}`, `bEaReR ${token}`, `Bearer ${token}`];
    const statuses = [];
    for (const authorization of spellings) statuses.push((await version(authorization)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await version(`bearer ${token}`);
    expect(limited.status).toBe(429);
    expect((await limited.json()).errors[0].extensions.code).toBe('RATE_LIMITED');
    const rest = await app.fetch('/api/issues/getAll', { headers: { authorization: `BEARER ${token}` } });
    expect(rest.status).toBe(429);
    // Another token and the anonymous address keep their own budgets.
    expect((await version(`Bearer ${other}`)).status).toBe(200);
    expect((await version()).status).toBe(200);
    // A minute later (the server's clock) the token's budget has refilled.
    app.clock.now = new Date(app.clock.now.getTime() + 60_000);
    expect((await version(`bearer ${token}`)).status).toBe(200);
  });

  it('charges a token that does not verify to the address', async () => {
    const forged = `Bearer ${Buffer.from('{"alg":"EdDSA"}').toString('base64url')}.e30.c2ln`;
    app.clock.now = new Date(app.clock.now.getTime() + 60_000); // a full budget
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await version(i % 2 ? forged : undefined)).status);
    expect(statuses).toEqual([200, 401, 200, 401, 200, 429]);
  });
});

describe('request timeout', () => {
  afterAll(killAll);

  it('answers 503 REQUEST_TIMEOUT to a client that stalls mid-request', async () => {
    const server = await startServerProcess({
      DATABASE_URL: `file:${process.env.TMPDIR ?? '/tmp'}/grc-timeout-${process.pid}.db`,
      REQUEST_TIMEOUT_MS: '400',
      ADMIN_USERNAME: 'timeout.admin',
      ADMIN_PASSWORD: 'timeout admin password',
    });
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          // Headers announce a body that never comes.
          socket.write(
            'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"q',
          );
        });
        let data = '';
        socket.on('data', (d) => {
          data += d;
        });
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
        // Does not hang: the answer is due after 400 ms; 20 s is 50x that.
        setTimeout(() => socket.destroy(), 20_000);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 503/);
      expect(answer).toContain('"REQUEST_TIMEOUT"');
      // The configured 400 ms timeout gave the answer (not the 30 s default): it says so, no clock needed.
      expect(answer).toContain('No answer within 400 ms');
    } finally {
      await server.stop();
    }
  }, 60_000);
});
