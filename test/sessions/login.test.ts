import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as passwords from '../../src/auth/password.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const loginMutation = `mutation ($u: String!, $p: String!) {
  login(userName: $u, password: $p) { token expiresAt user { id userName roles } }
}`;

describe.each(testProviders)('login on %s', (provider) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(provider, { LOGIN_LOCKOUT_THRESHOLD: '3', SESSION_TIMEOUT_MINUTES: '15' });
  });
  afterAll(() => app.close());

  const restLogin = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.fetch('/api/authentication/login', {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('answers a token, its expiry and the user with roles (GraphQL)', async () => {
    const { status, body } = await app.graphql<{
      login: { token: string; expiresAt: string; user: { userName: string; roles: string[] } };
    }>(loginMutation, { u: adminUserName.toUpperCase(), p: adminPassword });
    expect(status).toBe(200);
    const login = body.data?.login;
    expect(login?.user).toMatchObject({ userName: adminUserName, roles: ['ADMINISTRATOR'] });
    const expiresAt = Date.parse(login?.expiresAt ?? '');
    // The server's clock (frozen in tests) plus the 15-minute session timeout, in whole seconds.
    expect(expiresAt).toBe(Math.floor((app.clock.now.getTime() + 15 * 60_000) / 1000) * 1000);
    expect((decodeJwt(login?.token ?? '').exp ?? 0) * 1000).toBe(expiresAt);
  });

  it("notes when a session was last used, by the server's clock, at the next usage flush", async () => {
    const token = await app.login(adminUserName, adminPassword);
    const sessionId = decodeJwt(token).jti ?? '';
    await app.auth.usage.flush();
    const later = new Date(app.clock.now.getTime() + 90_000);
    app.clock.now = later;
    try {
      expect((await app.graphql('{ me { userName } }', {}, token)).status).toBe(200);
      // Not written per request: only at the flush.
      expect((await app.db.session.findUniqueOrThrow({ where: { id: sessionId } })).lastSeenAt?.getTime()).not.toBe(
        later.getTime(),
      );
      await app.auth.usage.flush();
      expect((await app.db.session.findUniqueOrThrow({ where: { id: sessionId } })).lastSeenAt?.toISOString()).toBe(
        later.toISOString(),
      );
    } finally {
      app.clock.now = new Date(later.getTime() - 90_000);
    }
  });

  it('answers { id, auth_token, expiresAt, roles } (REST)', async () => {
    const response = await restLogin({ userName: adminUserName, password: adminPassword });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await response.json();
    expect(Object.keys(body).sort()).toEqual(['auth_token', 'expiresAt', 'id', 'roles']);
    expect(body.roles).toEqual(['ADMINISTRATOR']);
    const { status, body: me } = await app.graphql('{ me { userName } }', {}, body.auth_token);
    expect(status).toBe(200);
    expect(me.data).toEqual({ me: { userName: adminUserName } });
  });

  it('fails alike for an unknown user, a wrong password and an inactive user', async () => {
    const id = await app.createUser('inactive.user', ['AUDITOR']);
    const admin = await app.login(adminUserName, adminPassword);
    await app.graphql('mutation ($id: ID!) { deactivateUser(id: $id) { active } }', { id }, admin);

    const answers = [];
    for (const [u, p] of [
      ['nobody.here', adminPassword],
      [adminUserName, 'not the password at all'],
      ['inactive.user', userPassword],
    ] as const) {
      const gql = await app.graphql(loginMutation, { u, p });
      const rest = await restLogin({ userName: u, password: p });
      answers.push({
        gqlStatus: gql.status,
        error: gql.body.errors?.[0]?.message,
        code: gql.body.errors?.[0]?.extensions?.code,
        restStatus: rest.status,
        rest: await rest.json(),
      });
    }
    for (const a of answers) {
      expect(a).toEqual({
        gqlStatus: 401,
        error: 'Invalid user name or password',
        code: 'UNAUTHENTICATED',
        restStatus: 401,
        rest: { error: { code: 'UNAUTHENTICATED', message: 'Invalid user name or password' } },
      });
    }
    const failures = await app.db.auditEvent.findMany({ where: { action: 'auth.login.failed' } });
    expect(failures.map((f) => JSON.parse(f.details ?? '{}').reason).sort()).toEqual(
      expect.arrayContaining(['inactive_user', 'unknown_user', 'wrong_password']),
    );
  });

  it('spends the password hashing time on unknown users too', async () => {
    // Shown by the work done, not by timing it (on a loaded machine two timings compare at random): an
    // unknown user's password is checked against a decoy hash, which costs what a real one does.
    await app.createUser('timing.user', ['AUDITOR']);
    const verify = vi.spyOn(passwords, 'verifyPassword');
    let calls: unknown[][];
    try {
      await app.graphql(loginMutation, { u: 'ghost.user', p: 'wrong password 123' });
      await app.graphql(loginMutation, { u: 'timing.user', p: 'wrong password 123' });
      calls = [...verify.mock.calls];
    } finally {
      verify.mockRestore();
    }
    const decoy = await passwords.decoyHash;
    const stored = (await app.db.user.findUniqueOrThrow({ where: { userNameKey: 'timing.user' } })).passwordHash;
    expect(calls).toEqual([
      ['wrong password 123', decoy],
      ['wrong password 123', stored],
    ]);
    // The same algorithm and cost parameters (N, r, p), and the same salt and key sizes: the same work.
    const cost = (hash: string) => hash.split('$').map((part, i) => (i < 3 ? part : part.length));
    expect(cost(decoy)).toEqual(cost(stored));
  });

  it('validates the REST body', async () => {
    const cases: [unknown, Record<string, string>, string][] = [
      ['{not json', { 'content-type': 'application/json' }, 'Request body is not valid JSON'],
      [{ userName: 'x', password: 'y' }, { 'content-type': 'text/plain' }, 'Content-Type must be application/json'],
      ['[1,2]', { 'content-type': 'application/json' }, 'Request body must be a JSON object'],
      [{ password: 'x' }, { 'content-type': 'application/json' }, 'userName: is required'],
      [{ userName: 'someone' }, { 'content-type': 'application/json' }, 'password: is required'],
      [{ userName: 42, password: 'x' }, { 'content-type': 'application/json' }, 'userName:'],
      [
        { userName: 'a'.repeat(101), password: 'x' },
        { 'content-type': 'application/json' },
        'userName: must be at most',
      ],
    ];
    for (const [body, headers, message] of cases) {
      const response = await restLogin(body, headers);
      expect(response.status).toBe(400);
      const json = await response.json();
      expect(json.error.code).toBe('BAD_USER_INPUT');
      expect(json.error.message).toContain(message);
    }
    const wrongMethod = await app.fetch('/api/authentication/login');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('slows down, then refuses repeated failures for one user name, not for others', async () => {
    await app.createUser('throttled.user', ['AUDITOR']);
    const attempt = (password: string, userName = 'throttled.user') =>
      app.graphql(loginMutation, { u: userName, p: password });
    for (let i = 0; i < 3; i++) {
      expect((await attempt('wrong wrong wrong')).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    // Locked out now: even the right password is refused for a while.
    const refused = await attempt(userPassword);
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const rest = await restLogin({ userName: 'throttled.user', password: userPassword });
    expect(rest.status).toBe(429);
    expect(Number(rest.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await rest.json()).error.code).toBe('RATE_LIMITED');
    // Other users still sign in.
    expect(await app.login(adminUserName, adminPassword)).toBeTypeOf('string');
    // After the lock-out the right password works again.
    app.clock.now = new Date(Date.now() + 61_000);
    try {
      expect((await attempt(userPassword)).body.data).toBeTruthy();
    } finally {
      app.clock.now = new Date();
    }
    const throttled = await app.db.auditEvent.count({ where: { action: 'auth.login.throttled' } });
    expect(throttled).toBe(2);
  });
});
