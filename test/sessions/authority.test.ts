import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const newPassword = 'a different long passphrase 42';

describe.each(testProviders)('authority that is always current, on %s', (provider) => {
  let a: TestApp;
  let b: TestApp;
  let root: string;

  beforeAll(async () => {
    a = await startTestApp(provider);
    b = await startTestApp(provider, {}, a);
    root = await a.login(adminUserName, adminPassword);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  /** B learns what A changed at its next poll; polling every ≤ 500 ms bounds that at 1 s. */
  const bCatchesUp = async () => {
    expect(b.config.serviceAccounts.revocationPollMs).toBeLessThanOrEqual(500);
    await b.auth.revocations.nextPoll();
  };
  const me = async (app: TestApp, token: string) => (await app.graphql('{ me { userName } }', {}, token)).status;
  const getAll = (app: TestApp, token: string) =>
    app.fetch('/api/issues/getAll', { headers: { authorization: `Bearer ${token}` } });
  const gql = <T>(app: TestApp, query: string, variables: Record<string, unknown>, token: string) =>
    app.graphql<T>(query, variables, token);
  const createAccount = (app: TestApp, token: string, roles = ['AUDITOR']) =>
    gql<{ createServiceAccount: { token: string; serviceAccount: { id: string } } }>(
      app,
      'mutation ($roles: [Role!]) { createServiceAccount(input: { durationDays: 30, purpose: "Authority test", roles: $roles }) { token serviceAccount { id } } }',
      { roles },
      token,
    );
  const accountStatus = async (id: string) =>
    (
      await gql<{ serviceAccount: { status: string; suspendedReason: string | null } }>(
        a,
        'query ($id: ID!) { serviceAccount(id: $id) { status suspendedReason } }',
        { id },
        root,
      )
    ).body.data?.serviceAccount;

  it('a demoted administrator’s old token can no longer create service accounts or manage users, on either instance', async () => {
    const id = await a.createUser('demoted.admin', ['ADMINISTRATOR', 'ISSUE_MANAGER']);
    const old = await a.login('demoted.admin', userPassword);
    expect((await createAccount(a, old)).status).toBe(200);
    await gql(a, 'mutation ($id: ID!) { setUserRoles(userId: $id, roles: [AUDITOR]) { id } }', { id }, root);
    // The session ended at once here; B refuses it after its next poll.
    expect(await me(a, old)).toBe(401);
    await bCatchesUp();
    expect(await me(b, old)).toBe(401);
    for (const app of [a, b]) {
      const minted = await createAccount(app, old, ['ADMINISTRATOR']);
      expect(minted.status).toBe(401);
      expect(minted.body.errors?.[0]?.message).toBe('Session ended: sign in again');
      const users = await gql(app, '{ users { id } }', {}, old);
      expect(users.status).toBe(401);
    }
    // Roles added arrive with the next login; the new session may not manage anything.
    const fresh = await b.login('demoted.admin', userPassword);
    expect((await createAccount(b, fresh)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('checks the caller as stored now even before the session list has caught up', async () => {
    const id = await a.createUser('racing.admin', ['ADMINISTRATOR']);
    const token = await b.login('racing.admin', userPassword);
    // Deactivated straight in the database, as another instance's commit would be, before B polls.
    await a.db.user.update({ where: { id }, data: { active: false } });
    const minted = await createAccount(b, token);
    expect(minted.status).toBe(401);
    expect(minted.body.errors?.[0]?.message).toBe('Account deactivated');
    await a.db.user.update({ where: { id }, data: { active: true } });
  });

  it('suspends a deactivated creator’s service account within a poll, and a transfer brings it back', async () => {
    const creator = await a.createUser('leaving.admin', ['ADMINISTRATOR']);
    const session = await a.login('leaving.admin', userPassword);
    const created = (await createAccount(a, session, ['AUDITOR'])).body.data?.createServiceAccount;
    const token = created?.token ?? '';
    expect((await getAll(b, token)).status).toBe(200);

    await gql(a, 'mutation ($id: ID!) { deactivateUser(id: $id) { id } }', { id: creator }, root);
    const refused = await getAll(a, token);
    expect(refused.status).toBe(401);
    expect((await refused.json()).error.message).toMatch(/^Service account suspended/);
    await bCatchesUp();
    expect((await getAll(b, token)).status).toBe(401);
    expect(await accountStatus(created?.serviceAccount.id ?? '')).toEqual({
      status: 'SUSPENDED',
      suspendedReason: 'creator_deactivated',
    });
    const listed = await gql<{ serviceAccounts: { id: string }[] }>(
      a,
      '{ serviceAccounts(filter: { status: SUSPENDED }) { id } }',
      {},
      root,
    );
    expect(listed.body.data?.serviceAccounts.map((s) => s.id)).toContain(created?.serviceAccount.id);

    // Reactivating the creator revives neither their session nor the account.
    await gql(a, 'mutation ($id: ID!) { activateUser(id: $id) { id } }', { id: creator }, root);
    await bCatchesUp();
    expect(await me(a, session)).toBe(401);
    expect(await me(b, session)).toBe(401);
    expect((await getAll(b, token)).status).toBe(401);

    // A non-administrator cannot take it; an administrator who holds its roles can.
    const auditor = await a.createUser('cannot.take', ['AUDITOR']);
    const refusedTransfer = await gql(
      a,
      'mutation ($id: ID!, $to: ID!) { transferServiceAccount(id: $id, toUserId: $to) { id } }',
      { id: created?.serviceAccount.id, to: auditor },
      root,
    );
    expect(refusedTransfer.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const rootId = (await a.db.user.findUniqueOrThrow({ where: { userNameKey: adminUserName } })).id;
    const moved = await gql<{ transferServiceAccount: { status: string; createdBy: { userName: string } } }>(
      a,
      'mutation ($id: ID!, $to: ID!) { transferServiceAccount(id: $id, toUserId: $to) { status createdBy { userName } } }',
      { id: created?.serviceAccount.id, to: rootId },
      root,
    );
    expect(moved.body.data?.transferServiceAccount).toEqual({
      status: 'ACTIVE',
      createdBy: { userName: adminUserName },
    });
    expect((await getAll(a, token)).status).toBe(200);
    await bCatchesUp();
    expect((await getAll(b, token)).status).toBe(200);
    const events = await a.db.auditEvent.findMany({
      where: { targetType: 'ServiceAccount', targetId: created?.serviceAccount.id },
      select: { action: true },
    });
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['service_account.suspended', 'service_account.transferred']),
    );
  });

  it('suspends only the accounts that carry a role their creator lost', async () => {
    const creator = await a.createUser('two.roles', ['ADMINISTRATOR', 'ISSUE_MANAGER']);
    const session = await a.login('two.roles', userPassword);
    const reader = (await createAccount(a, session, ['AUDITOR'])).body.data?.createServiceAccount;
    const writer = (await createAccount(a, session, ['ISSUE_MANAGER'])).body.data?.createServiceAccount;
    await gql(
      a,
      'mutation ($id: ID!) { setUserRoles(userId: $id, roles: [ADMINISTRATOR]) { id } }',
      { id: creator },
      root,
    );
    await bCatchesUp();
    expect((await getAll(b, reader?.token ?? '')).status).toBe(200);
    expect((await getAll(b, writer?.token ?? '')).status).toBe(401);
    expect((await accountStatus(writer?.serviceAccount.id ?? ''))?.suspendedReason).toBe('creator_role_removed');
  });

  it('logout ends the session on every instance; a service-account token cannot log out', async () => {
    await a.createUser('leaves.early', ['AUDITOR']);
    const token = await a.login('leaves.early', userPassword);
    const other = await a.login('leaves.early', userPassword);
    expect(await me(b, token)).toBe(200);
    const out = await b.fetch('/api/authentication/logout', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(out.status).toBe(204);
    expect(await me(b, token)).toBe(401);
    await a.auth.revocations.nextPoll();
    expect(await me(a, token)).toBe(401);
    expect(await me(a, other)).toBe(200);
    const again = await b.fetch('/api/authentication/logout', { method: 'POST' });
    expect(again.status).toBe(401);

    const account = (await createAccount(a, root)).body.data?.createServiceAccount;
    const refused = await gql(a, 'mutation { logout }', {}, account?.token ?? '');
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('lists sessions, and lets a user end their own and an administrator end anyone’s', async () => {
    const id = await a.createUser('many.sessions', ['AUDITOR']);
    const first = await a.login('many.sessions', userPassword);
    const second = await a.login('many.sessions', userPassword);
    const mine = await gql<{ sessions: { id: string; current: boolean }[] }>(
      a,
      '{ sessions { id current } }',
      {},
      second,
    );
    expect(mine.body.data?.sessions).toHaveLength(2);
    expect(mine.body.data?.sessions.filter((s) => s.current)).toHaveLength(1);
    const firstId = mine.body.data?.sessions.find((s) => !s.current)?.id;
    await gql(a, 'mutation ($id: ID!) { revokeSession(id: $id) { id } }', { id: firstId }, second);
    expect(await me(a, first)).toBe(401);
    expect(await me(a, second)).toBe(200);

    // Another user's session is not found by a non-administrator.
    await a.createUser('nosy.auditor', ['AUDITOR']);
    const nosy = await a.login('nosy.auditor', userPassword);
    const current = mine.body.data?.sessions.find((s) => s.current)?.id;
    const probe = await gql(a, 'mutation ($id: ID!) { revokeSession(id: $id) { id } }', { id: current }, nosy);
    expect(probe.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const listed = await gql(a, 'query ($id: ID!) { userSessions(userId: $id) { id } }', { id }, nosy);
    expect(listed.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const byAdmin = await gql<{ userSessions: { id: string }[] }>(
      a,
      'query ($id: ID!) { userSessions(userId: $id) { id } }',
      { id },
      root,
    );
    expect(byAdmin.body.data?.userSessions.map((s) => s.id)).toEqual([current]);
    const ended = await gql<{ revokeUserSessions: number }>(
      a,
      'mutation ($id: ID!) { revokeUserSessions(userId: $id) }',
      { id },
      root,
    );
    expect(ended.body.data?.revokeUserSessions).toBe(1);
    expect(await me(a, second)).toBe(401);
    const events = await a.db.auditEvent.count({ where: { action: 'session.ended', targetId: id } });
    expect(events).toBe(2);
  });

  it('a password reset ends every session for good; reactivation revives no old token', async () => {
    const id = await a.createUser('reset.me', ['AUDITOR']);
    const token = await a.login('reset.me', userPassword);
    await gql(
      a,
      'mutation ($id: ID!, $p: String!) { resetUserPassword(id: $id, newPassword: $p) { id } }',
      { id, p: newPassword },
      root,
    );
    expect(await me(a, token)).toBe(401);
    await bCatchesUp();
    expect(await me(b, token)).toBe(401);
    await gql(a, 'mutation ($id: ID!) { deactivateUser(id: $id) { id } }', { id }, root);
    await gql(a, 'mutation ($id: ID!) { activateUser(id: $id) { id } }', { id }, root);
    await bCatchesUp();
    expect(await me(b, token)).toBe(401);
    expect(await me(b, await b.login('reset.me', newPassword))).toBe(200);
  });

  it('changePassword needs the current password, refuses common ones, and ends the other sessions', async () => {
    await a.createUser('changes.own', ['AUDITOR']);
    const keep = await a.login('changes.own', userPassword);
    const other = await a.login('changes.own', userPassword);
    const change = (current: string, next: string) =>
      gql<{ changePassword: boolean }>(
        a,
        'mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }',
        { c: current, n: next },
        keep,
      );
    const wrong = await change('not the password at all', newPassword);
    expect(wrong.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
    const common = await change(userPassword, 'qwerty123456');
    expect(common.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'newPassword' });
    expect(common.body.errors?.[0]?.message).toMatch(/too common/);
    expect((await change(userPassword, newPassword)).body.data?.changePassword).toBe(true);
    expect(await me(a, keep)).toBe(200);
    expect(await me(a, other)).toBe(401);
    expect(await a.login('changes.own', newPassword)).toBeTruthy();
    // The same rule on every path that sets a password.
    const created = await gql(
      a,
      'mutation { createUser(input: { userName: "weak.one", password: "password1234" }) { id } }',
      {},
      root,
    );
    expect(created.body.errors?.[0]?.extensions?.field).toBe('input.password');
  });

  it('an AUDITOR reading issues sees other users’ ids and names only', async () => {
    const owner = await a.createUser('private.owner', ['ISSUE_MANAGER']);
    const writer = await a.login('private.owner', userPassword);
    await gql(
      a,
      'mutation ($o: ID!) { createIssue(input: { title: "Private data", issueOwnerId: $o }) { id } }',
      { o: owner },
      writer,
    );
    await a.createUser('curious.auditor', ['AUDITOR']);
    const auditor = await a.login('curious.auditor', userPassword);
    const account = (await createAccount(a, root, ['AUDITOR'])).body.data?.createServiceAccount.token ?? '';
    const query =
      '{ issues(filter: { search: "Private data" }) { edges { node { issueOwner { id userName email roles active lastLoginAt } createdBy { userName email roles } } } } }';
    for (const token of [auditor, account]) {
      const { body } = await gql<{
        issues: { edges: { node: { issueOwner: Record<string, unknown>; createdBy: Record<string, unknown> } }[] };
      }>(a, query, {}, token);
      expect(body.errors).toBeUndefined();
      const node = body.data?.issues.edges[0]?.node;
      expect(node?.issueOwner).toEqual({
        id: owner,
        userName: 'private.owner',
        email: null,
        roles: null,
        active: null,
        lastLoginAt: null,
      });
      expect(node?.createdBy).toEqual({ userName: 'private.owner', email: null, roles: null });
    }
    // Administrators see it; so does the user.
    const asAdmin = await gql<{ issues: { edges: { node: { issueOwner: { roles: string[] } } }[] } }>(
      a,
      query,
      {},
      root,
    );
    expect(asAdmin.body.data?.issues.edges[0]?.node.issueOwner.roles).toEqual(['ISSUE_MANAGER']);
    const asSelf = await gql<{ issues: { edges: { node: { issueOwner: { active: boolean } } }[] } }>(
      a,
      query,
      {},
      writer,
    );
    expect(asSelf.body.data?.issues.edges[0]?.node.issueOwner.active).toBe(true);
  });

  it('audits refused tokens and refusals of a role, in batches', async () => {
    await a.createUser('audited.auditor', ['AUDITOR']);
    const auditor = await a.login('audited.auditor', userPassword);
    for (let i = 0; i < 3; i++) {
      await gql(a, 'mutation { createIssue(input: { title: "Not allowed" }) { id } }', {}, auditor);
    }
    await a.graphql('mutation { logout }', {}, auditor);
    for (let i = 0; i < 3; i++) expect(await me(a, auditor)).toBe(401);
    // Nothing is written per request: the events wait for the flush.
    const batched = { action: { in: ['auth.forbidden', 'auth.token_refused'] }, actorLabel: 'audited.auditor' };
    expect(await a.db.auditEvent.count({ where: batched })).toBe(0);
    await a.auth.audits.flush();
    const forbidden = await a.db.auditEvent.findMany({
      where: { action: 'auth.forbidden', actorLabel: 'audited.auditor' },
    });
    expect(forbidden).toHaveLength(1);
    expect(JSON.parse(forbidden[0]?.details ?? '{}')).toMatchObject({ where: 'graphql:createIssue', count: 3 });
    const refused = await a.db.auditEvent.findMany({
      where: { action: 'auth.token_refused', actorLabel: 'audited.auditor' },
    });
    expect(refused).toHaveLength(1);
    expect(JSON.parse(refused[0]?.details ?? '{}')).toMatchObject({ reason: 'session_ended', count: 3 });
  });
});
