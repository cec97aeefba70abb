import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

describe.each(testProviders)('secrets on %s', (provider) => {
  let app: TestApp;
  const secrets: string[] = [adminPassword];

  beforeAll(async () => {
    app = await startTestApp(provider);
  });
  afterAll(() => app.close());

  it('never appear in logs, errors or the database', async () => {
    const wrongPassword = 'Tr0ub4dor&3-not-it';
    secrets.push(wrongPassword);
    const admin = await app.login(adminUserName, adminPassword);
    secrets.push(admin);
    const rest = await app.fetch('/api/authentication/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userName: adminUserName, password: adminPassword }),
    });
    secrets.push((await rest.json()).auth_token);
    const failed = await app.graphql(
      'mutation ($p: String!) { login(userName: "root.admin", password: $p) { token } }',
      {
        p: wrongPassword,
      },
    );
    const { body } = await app.graphql<{ createServiceAccount: { token: string } }>(
      'mutation { createServiceAccount(input: { durationDays: 3, purpose: "Log check" }) { token } }',
      {},
      admin,
    );
    const saToken = body.data?.createServiceAccount.token ?? '';
    secrets.push(saToken);
    await app.fetch('/api/issues/getAll', { headers: { authorization: `Bearer ${saToken}` } });
    // A tampered token is refused and the refusal logged, without the token.
    const tampered = `${saToken.slice(0, -4)}AAAA`;
    secrets.push(tampered);
    const refused = await app.fetch('/api/issues/getAll', { headers: { authorization: `Bearer ${tampered}` } });
    expect(refused.status).toBe(401);
    await app.auth.usage.flush();

    const logs = app.logs.join('\n');
    expect(logs).toContain('authentication refused');
    expect(logs).toContain('login failed');
    const stored = JSON.stringify([
      await app.db.user.findMany(),
      await app.db.serviceAccount.findMany(),
      await app.db.auditEvent.findMany(),
    ]);
    const answers = JSON.stringify([failed.body, await refused.text()]);
    for (const secret of secrets) {
      const signature = secret.split('.')[2] ?? secret;
      for (const [where, text] of [
        ['logs', logs],
        ['database', stored],
        ['error answers', answers],
      ] as const) {
        expect({ where, leaked: text.includes(secret) || text.includes(signature) }).toEqual({ where, leaked: false });
      }
    }
  });

  it("puts the request's id on each line its own code logs, with secrets still redacted", async () => {
    const wrongPassword = 'Correct-Horse-not-it-7';
    const attempt = (requestId: string) =>
      app.fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify({
          query: 'mutation ($p: String!) { login(userName: "nobody.here", password: $p) { token } }',
          variables: { p: wrongPassword },
        }),
      });
    await attempt('login-trace-1');
    await attempt('login-trace-2');
    const lines = app.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const failures = lines.filter((l) => l.msg === 'login failed' && String(l.requestId).startsWith('login-trace-'));
    // One line each, under its own request's id (not the first request's: each request has a logger of its own).
    expect(failures.map((l) => l.requestId)).toEqual(['login-trace-1', 'login-trace-2']);
    expect(failures.every((l) => l.service === 'grc-api')).toBe(true);
    expect(app.logs.join('\n')).not.toContain(wrongPassword);
  });
});
