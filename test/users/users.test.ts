import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const usersQuery = '{ users { userName roles active } }';
const setRoles = 'mutation ($id: ID!, $roles: [Role!]!) { setUserRoles(userId: $id, roles: $roles) { roles } }';

describe.each(testProviders)('users and roles on %s', (provider) => {
  let app: TestApp;
  let admin: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    app = await startTestApp(provider);
    admin = await app.login(adminUserName, adminPassword);
    for (const [name, role] of [
      ['manager.one', 'ISSUE_MANAGER'],
      ['auditor.one', 'AUDITOR'],
    ] as const) {
      await app.createUser(name, [role]);
      tokens[role] = await app.login(name, userPassword);
    }
  });
  afterAll(() => app.close());

  it('refuses anonymous callers with UNAUTHENTICATED (401)', async () => {
    const { status, body } = await app.graphql(usersQuery);
    expect(status).toBe(401);
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const me = await app.graphql('{ me { userName } }');
    expect(me.status).toBe(401);
    // No credentials sent: a plain challenge, no error code (RFC 6750 §3.1).
    const rest = await app.fetch('/api/issues/getAll');
    expect(rest.status).toBe(401);
    expect(rest.headers.get('www-authenticate')).toBe('Bearer realm="grc-api"');
    const head = await app.fetch('/api/issues/getAll', { method: 'HEAD' });
    expect(head.status).toBe(401);
    expect(await head.text()).toBe('');
    expect(me.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a role it does not name with FORBIDDEN (403) saying which role', async () => {
    for (const role of ['ISSUE_MANAGER', 'AUDITOR']) {
      const { status, body } = await app.graphql(usersQuery, {}, tokens[role]);
      expect(status).toBe(403);
      expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(body.errors?.[0]?.message).toBe('Not authorized: requires the role ADMINISTRATOR');
      const create = await app.graphql(
        'mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }',
        { input: { userName: 'sneaky', password: userPassword, roles: ['ADMINISTRATOR'] } },
        tokens[role],
      );
      expect(create.status).toBe(403);
      expect(create.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect(await app.db.user.count({ where: { userNameKey: 'sneaky' } })).toBe(0);
  });

  it('lets each role read itself through me', async () => {
    for (const role of ['ISSUE_MANAGER', 'AUDITOR']) {
      const { body } = await app.graphql<{ me: { roles: string[] } }>('{ me { roles } }', {}, tokens[role]);
      expect(body.data?.me.roles).toEqual([role]);
    }
  });

  it('lists users for administrators, never with password hashes', async () => {
    const { status, body } = await app.graphql<{ users: { userName: string }[] }>(usersQuery, {}, admin);
    expect(status).toBe(200);
    expect(body.data?.users.map((u) => u.userName)).toEqual([adminUserName, 'manager.one', 'auditor.one']);
    const probe = await app.graphql('{ users { passwordHash } }', {}, admin);
    expect(probe.status).toBe(400);
    expect(probe.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('validates createUser input, naming the field', async () => {
    const create = (input: Record<string, unknown>) =>
      app.graphql('mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }', { input }, admin);
    const cases: [Record<string, unknown>, string][] = [
      [{ userName: 'ok.name', password: 'short' }, 'input.password'],
      [{ userName: 'x', password: userPassword }, 'input.userName'],
      [{ userName: "robert'); DROP TABLE User;--", password: userPassword }, 'input.userName'],
      [{ userName: 'ok.name', password: userPassword, email: 'not-an-email' }, 'input.email'],
      [{ userName: 'ok.name', password: userPassword, displayName: '   ' }, 'input.displayName'],
    ];
    for (const [input, field] of cases) {
      const { status, body } = await create(input);
      expect(status).toBe(400);
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const duplicate = await create({ userName: 'MANAGER.ONE', password: userPassword });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const unknownId = await app.graphql(setRoles, { id: 'not-a-uuid', roles: [] }, admin);
    expect(unknownId.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const missing = await app.graphql(setRoles, { id: '00000000-0000-4000-8000-000000000000', roles: [] }, admin);
    expect(missing.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('applies changed roles at the next login only', async () => {
    const id = await app.createUser('promoted.user', ['AUDITOR']);
    const before = await app.login('promoted.user', userPassword);
    const { body } = await app.graphql<{ setUserRoles: { roles: string[] } }>(
      setRoles,
      { id, roles: ['ADMINISTRATOR', 'AUDITOR'] },
      admin,
    );
    expect(body.data?.setUserRoles.roles).toEqual(['ADMINISTRATOR', 'AUDITOR']);
    expect((await app.graphql(usersQuery, {}, before)).status).toBe(403);
    const after = await app.login('promoted.user', userPassword);
    expect((await app.graphql(usersQuery, {}, after)).status).toBe(200);
    const event = await app.db.auditEvent.findFirst({ where: { action: 'user.roles_changed', targetId: id } });
    expect(JSON.parse(event?.details ?? '{}')).toEqual({ before: ['AUDITOR'], after: ['ADMINISTRATOR', 'AUDITOR'] });
    expect(event?.actorLabel).toBe(adminUserName);
    // Demote again so the next test starts with one administrator.
    await app.graphql(setRoles, { id, roles: ['AUDITOR'] }, admin);
  });

  it('protects the last active administrator', async () => {
    const { body: users } = await app.graphql<{ users: { id: string; userName: string }[] }>(
      '{ users { id userName } }',
      {},
      admin,
    );
    const self = users.data?.users.find((u) => u.userName === adminUserName)?.id;
    const demote = await app.graphql(setRoles, { id: self, roles: ['AUDITOR'] }, admin);
    expect(demote.status).toBe(409);
    expect(demote.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const deactivate = await app.graphql(
      'mutation ($id: ID!) { deactivateUser(id: $id) { active } }',
      { id: self },
      admin,
    );
    expect(deactivate.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const roles = await app.db.userRole.findMany({ where: { userId: self } });
    expect(roles.map((r) => r.role)).toEqual(['ADMINISTRATOR']);

    const second = await app.createUser('second.admin', ['ADMINISTRATOR']);
    const ok = await app.graphql(setRoles, { id: self, roles: ['ADMINISTRATOR', 'AUDITOR'] }, admin);
    expect(ok.status).toBe(200);
    const demoteSecond = await app.graphql(setRoles, { id: second, roles: [] }, admin);
    expect(demoteSecond.status).toBe(200);
  });

  it('resets passwords and records audit events for user management', async () => {
    const id = await app.createUser('forgetful.user', ['AUDITOR']);
    const reset = await app.graphql(
      'mutation ($id: ID!, $p: String!) { resetUserPassword(id: $id, newPassword: $p) { id } }',
      { id, p: 'a brand new long password' },
      admin,
    );
    expect(reset.status).toBe(200);
    await expect(app.login('forgetful.user', userPassword)).rejects.toThrow();
    expect(await app.login('forgetful.user', 'a brand new long password')).toBeTypeOf('string');
    const actions = (await app.db.auditEvent.findMany({ where: { targetId: id } })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['user.created', 'user.password_reset', 'auth.login.succeeded']));
  });
});
