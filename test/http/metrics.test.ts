import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

describe.each(testProviders)('metrics and request logs on %s', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(provider, { METRICS_ENABLED: 'true' });
  });
  afterAll(() => app.close());

  it('counts requests by route, operation and status, auth failures, token uses and the pool', async () => {
    const admin = await app.login(adminUserName, adminPassword);
    await app.graphql('query Me { me { kind } }', {}, admin);
    const { body } = await app.graphql<{ createServiceAccount: { token: string; serviceAccount: { id: string } } }>(
      'mutation { createServiceAccount(input: { durationDays: 1, purpose: "Metrics" }) { token serviceAccount { id } } }',
      {},
      admin,
    );
    const sa = body.data?.createServiceAccount;
    for (let i = 0; i < 3; i++) {
      await app.fetch('/api/issues/getAll', { headers: { authorization: `Bearer ${sa?.token}` } });
    }
    // One character of the signature changed (tokens must be canonical base64url: not the last one's spare bits).
    const at = admin.length - 10;
    const tampered = `${admin.slice(0, at)}${admin[at] === 'A' ? 'B' : 'A'}${admin.slice(at + 1)}`;
    await app.fetch('/api/issues/getAll', { headers: { authorization: `Bearer ${tampered}` } });
    await app.graphql('mutation { login(userName: "nobody.at.all", password: "wrong") { token } }');

    const response = await app.fetch('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('grc_http_requests_total{method="POST",route="/graphql",operation="Me",status="200"} 1');
    expect(text).toContain(
      `grc_http_requests_total{method="GET",route="/api/issues/getAll",operation="-",status="200"} 3`,
    );
    expect(text).toMatch(
      /grc_http_request_duration_seconds_bucket\{le="0.5",route="\/graphql",operation="Me",status="200"\} 1/,
    );
    expect(text).toContain('grc_auth_failures_total{reason="bad_signature"} 1');
    expect(text).toContain('grc_auth_failures_total{reason="login_unknown_user"} 1');
    expect(text).toContain(`grc_service_account_token_uses_total{service_account="${sa?.serviceAccount.id}"} 3`);
    expect(text).toContain('grc_process_resident_memory_bytes');
    if (provider === 'postgresql') expect(text).toMatch(/grc_db_pool_connections \d+/);
    // Secrets never become labels.
    expect(text).not.toContain(admin.split('.')[2]);
  });

  it('writes one JSON log line per request with id, operation, actor, status and duration', async () => {
    const admin = await app.login(adminUserName, adminPassword);
    app.logs.splice(0);
    const response = await app.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, 'x-request-id': 'trace-me-123' },
      body: JSON.stringify({ query: 'query WhoAmI { me { kind } }' }),
    });
    expect(response.headers.get('x-request-id')).toBe('trace-me-123');
    const line = app.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'request' && l.requestId === 'trace-me-123');
    expect(line).toMatchObject({
      method: 'POST',
      path: '/graphql',
      operation: 'WhoAmI',
      actor: expect.stringMatching(/^user:[0-9a-f-]{36}$/),
      status: 200,
      durationMs: expect.any(Number),
    });
  });
});

describe('metrics switched off', () => {
  it('are not served', async () => {
    const app = await startTestApp('sqlite');
    try {
      expect((await app.fetch('/metrics')).status).toBe(404);
    } finally {
      await app.close();
    }
  });
});

describe('metrics labels are bounded', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('sqlite', { METRICS_ENABLED: 'true' });
  });
  afterAll(() => app.close());

  const series = async () =>
    (await (await app.fetch('/metrics')).text()).split('\n').filter((l) => l.startsWith('grc_http_requests_total{'));

  it('60 anonymous requests with made-up operation names add no series: they count as "other"', async () => {
    // One of each label first, so that only the made-up names could add series afterwards.
    await app.graphql('query Made_up_0 { __typename }');
    await app.graphql('query Me { __typename }');
    await series(); // the scrape is counted too
    const before = await series();
    for (let i = 1; i <= 60; i++) {
      const response = await app.fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `query Made_up_${i} { __typename }`, operationName: `Made_up_${i}` }),
      });
      expect(response.status).toBe(200);
    }
    const after = await series();
    expect(after.map((l) => l.replace(/ \d+$/, ''))).toEqual(before.map((l) => l.replace(/ \d+$/, '')));
    expect(after.join('\n')).not.toContain('Made_up');
    expect(after).toContain(
      'grc_http_requests_total{method="POST",route="/graphql",operation="other",status="200"} 61',
    );
    // Names of the committed documents stay labels of their own; the log keeps every name as sent.
    expect(after).toContain('grc_http_requests_total{method="POST",route="/graphql",operation="Me",status="200"} 1');
    expect(app.logs.some((l) => JSON.parse(l).operation === 'Made_up_60')).toBe(true);
  });
});
