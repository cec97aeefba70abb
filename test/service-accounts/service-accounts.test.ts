import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const create = `mutation ($input: CreateServiceAccountInput!) {
  createServiceAccount(input: $input) {
    token
    serviceAccount { id tokenId purpose roles status expiresAt expiresInDays useCount createdBy { userName } }
  }
}`;

interface Created {
  createServiceAccount: {
    token: string;
    serviceAccount: {
      id: string;
      tokenId: string;
      purpose: string;
      roles: string[];
      status: string;
      expiresAt: string;
    };
  };
}

describe.each(testProviders)('service accounts on %s', (provider) => {
  let app: TestApp;
  let admin: string;

  beforeAll(async () => {
    app = await startTestApp(provider, { SERVICE_ACCOUNT_MAX_DAYS: '90', USAGE_FLUSH_SECONDS: '3600' });
    admin = await app.login(adminUserName, adminPassword);
  });
  afterAll(() => app.close());

  async function createAccount(input: Record<string, unknown>, token = admin) {
    const { status, body } = await app.graphql<Created>(create, { input }, token);
    return { status, body, account: body.data?.createServiceAccount };
  }

  const getAll = (token: string) => app.fetch('/api/issues/getAll', { headers: { authorization: `Bearer ${token}` } });

  it('creates an account whose token is shown once and works on GraphQL and REST', async () => {
    const { account } = await createAccount({ durationDays: 30, purpose: '  Nightly GRC export  ' });
    expect(account?.serviceAccount).toMatchObject({
      purpose: 'Nightly GRC export',
      roles: ['AUDITOR'],
      status: 'ACTIVE',
      createdBy: { userName: adminUserName },
    });
    const token = account?.token ?? '';
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ kind: 'service_account', roles: ['AUDITOR'], jti: account?.serviceAccount.tokenId });
    // exp is creation time (the server's frozen clock) + 30 days, not the session timeout.
    expect((claims.exp ?? 0) * 1000).toBe(Math.floor((app.clock.now.getTime() + 30 * 86_400_000) / 1000) * 1000);

    await app.graphql('mutation { createIssue(input: { title: "Seen by the script" }) { id } }', {}, admin);
    const rest = await getAll(token);
    expect(rest.status).toBe(200);
    const issues = await rest.json();
    expect(issues.map((i: { title: string }) => i.title)).toContain('Seen by the script');
    const gql = await app.graphql<{ me: { kind: string; serviceAccountId: number } }>(
      '{ me { kind serviceAccountId } issues(first: 5) { edges { node { title } } } }',
      {},
      token,
    );
    expect(gql.status).toBe(200);
    expect(gql.body.data?.me).toEqual({
      kind: 'SERVICE_ACCOUNT',
      serviceAccountId: Number(account?.serviceAccount.id),
    });
    // Read-only: writing is refused.
    const write = await app.graphql('mutation { createIssue(input: { title: "nope" }) { id } }', {}, token);
    expect(write.status).toBe(403);

    // Only the token id is kept: the token appears nowhere in the database.
    const rows = JSON.stringify([
      await app.db.serviceAccount.findMany(),
      await app.db.auditEvent.findMany(),
      await app.db.user.findMany(),
    ]);
    expect(rows).not.toContain(token);
    expect(rows).not.toContain(token.split('.')[2]);
    const listed = await app.graphql<{ serviceAccount: Record<string, unknown> }>(
      'query ($id: ID!) { serviceAccount(id: $id) { purpose } }',
      { id: account?.serviceAccount.id },
      admin,
    );
    expect(JSON.stringify(listed.body)).not.toContain(token);
  });

  it('refuses non-administrators, service-account tokens and anonymous callers', async () => {
    await app.createUser('sa.manager', ['ISSUE_MANAGER', 'AUDITOR']);
    const manager = await app.login('sa.manager', userPassword);
    const input = { durationDays: 5, purpose: 'Should not exist' };
    const byManager = await createAccount(input, manager);
    expect(byManager.status).toBe(403);
    expect(byManager.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const anonymous = await app.graphql(create, { input });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    // Even a service-account token holding ADMINISTRATOR may not manage accounts or users.
    const { account } = await createAccount({ durationDays: 5, purpose: 'Powerful script', roles: ['ADMINISTRATOR'] });
    const saToken = account?.token ?? '';
    for (const [query, variables] of [
      [create, { input }],
      ['mutation ($id: ID!) { revokeServiceAccount(id: $id) { id } }', { id: account?.serviceAccount.id }],
      [
        'mutation ($id: ID!) { rotateServiceAccount(id: $id, durationDays: 5) { token } }',
        { id: account?.serviceAccount.id },
      ],
      ['{ serviceAccounts { id } }', {}],
      ['mutation { createUser(input: { userName: "robot.made", password: "a long enough password" }) { id } }', {}],
      ['{ users { id } }', {}],
    ] as const) {
      const { status, body } = await app.graphql(query, variables, saToken);
      expect(status).toBe(403);
      expect(body.errors?.[0]).toMatchObject({
        message: 'Not authorized: service-account tokens cannot manage service accounts or users',
        extensions: { code: 'FORBIDDEN' },
      });
    }
    expect(await app.db.serviceAccount.count({ where: { purpose: 'Should not exist' } })).toBe(0);
    expect(await app.db.user.count({ where: { userNameKey: 'robot.made' } })).toBe(0);
  });

  it('validates duration and purpose, naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ durationDays: 0, purpose: 'Valid purpose' }, 'input.durationDays'],
      [{ durationDays: -3, purpose: 'Valid purpose' }, 'input.durationDays'],
      [{ durationDays: 91, purpose: 'Valid purpose' }, 'input.durationDays'],
      [{ durationDays: 1.5, purpose: 'Valid purpose' }, 'input.durationDays'],
      [{ durationDays: '10', purpose: 'Valid purpose' }, 'input.durationDays'],
      [{ durationDays: 10, purpose: '' }, 'input.purpose'],
      [{ durationDays: 10, purpose: '  ab  ' }, 'input.purpose'],
      [{ durationDays: 10, purpose: 'x'.repeat(501) }, 'input.purpose'],
      [{ durationDays: 10, purpose: 'Valid purpose', roles: [] }, 'input.roles'],
    ];
    const before = await app.db.serviceAccount.count();
    for (const [input, field] of cases) {
      const { status, body } = await createAccount(input);
      expect({ input, status, extensions: body.errors?.[0]?.extensions }).toMatchObject({
        status: 400,
        extensions: { code: 'BAD_USER_INPUT', field },
      });
    }
    expect(await app.db.serviceAccount.count()).toBe(before);
    const max = await createAccount({ durationDays: 90, purpose: 'Longest allowed' });
    expect(max.account?.serviceAccount.status).toBe('ACTIVE');
  });

  it('never grants roles beyond the creator’s own', async () => {
    const refused = await createAccount({ durationDays: 5, purpose: 'Writer script', roles: ['ISSUE_MANAGER'] });
    expect(refused.status).toBe(403);
    expect(refused.body.errors?.[0]?.message).toContain('ISSUE_MANAGER');
    // An administrator who also manages issues may.
    const id = await app.createUser('admin.manager', ['ADMINISTRATOR', 'ISSUE_MANAGER']);
    expect(id).toBeTruthy();
    const both = await app.login('admin.manager', userPassword);
    const ok = await createAccount({ durationDays: 5, purpose: 'Writer script', roles: ['ISSUE_MANAGER'] }, both);
    expect(ok.account?.serviceAccount.roles).toEqual(['ISSUE_MANAGER']);
    const write = await app.graphql(
      'mutation { createIssue(input: { title: "Written by a script" }) { id createdBy { id } createdByServiceAccountId } }',
      {},
      ok.account?.token,
    );
    expect(write.body.data).toEqual({
      createIssue: expect.objectContaining({
        createdBy: null,
        createdByServiceAccountId: Number(ok.account?.serviceAccount.id),
      }),
    });
  });

  it('expires at exactly durationDays (frozen clock) and audits expired-token attempts', async () => {
    const { account } = await createAccount({ durationDays: 7, purpose: 'Short-lived' });
    const token = account?.token ?? '';
    const expiresAt = Date.parse(account?.serviceAccount.expiresAt ?? '');
    const saved = app.clock.now;
    try {
      app.clock.now = new Date(expiresAt - 1000);
      expect((await getAll(token)).status).toBe(200);
      // Past exp and the 30 s clock tolerance.
      app.clock.now = new Date(expiresAt + 31_000);
      const refused = await getAll(token);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="grc-api", error="invalid_token"');
      const status = await app.graphql<{ serviceAccount: { status: string; expiresInDays: number } }>(
        'query ($id: ID!) { serviceAccount(id: $id) { status expiresInDays } }',
        { id: account?.serviceAccount.id },
        await app.login(adminUserName, adminPassword),
      );
      expect(status.body.data?.serviceAccount).toEqual({ status: 'EXPIRED', expiresInDays: 0 });
    } finally {
      app.clock.now = saved;
    }
    // Refused tokens are audited in batches: written at the next flush.
    await app.auth.audits.flush();
    await expect
      .poll(() =>
        app.db.auditEvent.count({
          where: {
            action: 'service_account.expired_token_used',
            actorServiceAccountId: Number(account?.serviceAccount.id),
          },
        }),
      )
      .toBe(1);
  });

  it('refuses a revoked token on the very next request', async () => {
    const { account } = await createAccount({ durationDays: 30, purpose: 'To be revoked' });
    const token = account?.token ?? '';
    expect((await getAll(token)).status).toBe(200);
    const revoked = await app.graphql<{
      revokeServiceAccount: { status: string; revokedAt: string; revokedBy: { userName: string } };
    }>(
      'mutation ($id: ID!) { revokeServiceAccount(id: $id) { status revokedAt revokedBy { userName } } }',
      { id: account?.serviceAccount.id },
      admin,
    );
    expect(revoked.body.data?.revokeServiceAccount).toMatchObject({
      status: 'REVOKED',
      revokedBy: { userName: adminUserName },
    });
    const refused = await getAll(token);
    expect(refused.status).toBe(401);
    expect((await refused.json()).error.code).toBe('UNAUTHENTICATED');
    expect((await app.graphql('{ me { kind } }', {}, token)).status).toBe(401);
    const again = await app.graphql(
      'mutation ($id: ID!) { revokeServiceAccount(id: $id) { id } }',
      { id: account?.serviceAccount.id },
      admin,
    );
    expect(again.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('rotates: a new token with the same purpose and roles, the old one refused, linked in the audit', async () => {
    const { account } = await createAccount({ durationDays: 30, purpose: 'Rotating script' });
    const oldToken = account?.token ?? '';
    const rotated = await app.graphql<{
      rotateServiceAccount: {
        token: string;
        serviceAccount: { id: string; purpose: string; roles: string[]; rotatedFrom: { id: string } };
      };
    }>(
      'mutation ($id: ID!) { rotateServiceAccount(id: $id, durationDays: 60) { token serviceAccount { id purpose roles rotatedFrom { id } } } }',
      { id: account?.serviceAccount.id },
      admin,
    );
    const next = rotated.body.data?.rotateServiceAccount;
    expect(next?.serviceAccount).toMatchObject({
      purpose: 'Rotating script',
      roles: ['AUDITOR'],
      rotatedFrom: { id: account?.serviceAccount.id },
    });
    expect((await getAll(oldToken)).status).toBe(401);
    expect((await getAll(next?.token ?? '')).status).toBe(200);
    const event = await app.db.auditEvent.findFirst({
      where: { action: 'service_account.rotated', targetId: account?.serviceAccount.id },
    });
    expect(JSON.parse(event?.details ?? '{}')).toMatchObject({
      fromId: Number(account?.serviceAccount.id),
      toId: Number(next?.serviceAccount.id),
    });
  });

  it('records usage in batches: count, last use and address, traced to the token in the audit', async () => {
    const { account } = await createAccount({ durationDays: 30, purpose: 'Busy script' });
    const token = account?.token ?? '';
    const id = Number(account?.serviceAccount.id);
    await app.auth.usage.flush();
    const writesBefore = app.sql.length;
    for (let i = 0; i < 25; i++) expect((await getAll(token)).status).toBe(200);
    // No write per request: the burst wrote nothing until the flush.
    const writes = app.sql.slice(writesBefore).filter((q) => /^\s*(UPDATE|INSERT)/i.test(q));
    expect(writes).toEqual([]);
    expect((await app.db.serviceAccount.findUniqueOrThrow({ where: { id } })).useCount).toBe(0);
    await app.auth.usage.flush();
    const stored = await app.db.serviceAccount.findUniqueOrThrow({ where: { id } });
    expect(stored.useCount).toBe(25);
    // The time of the uses is the server's clock (the test's, which stands still).
    expect(stored.lastUsedAt?.toISOString()).toBe(app.clock.now.toISOString());
    expect(stored.lastClientIp).toBe('unknown');
    const used = await app.db.auditEvent.findMany({
      where: { action: 'service_account.used', actorServiceAccountId: id },
    });
    expect(used).toHaveLength(1);
    expect(JSON.parse(used[0]?.details ?? '{}')).toMatchObject({
      tokenId: account?.serviceAccount.tokenId,
      uses: 25,
      from: app.clock.now.toISOString(),
      to: app.clock.now.toISOString(),
    });
    const viaApi = await app.graphql<{ serviceAccount: { useCount: number; lastUsedAt: string } }>(
      'query ($id: ID!) { serviceAccount(id: $id) { useCount lastUsedAt lastClientAddress } }',
      { id },
      admin,
    );
    expect(viaApi.body.data?.serviceAccount.useCount).toBe(25);
  });

  it('lists accounts by status for monitoring', async () => {
    const { account: soon } = await createAccount({ durationDays: 3, purpose: 'Expiring soon' });
    const ids = async (status?: string) => {
      const { body } = await app.graphql<{ serviceAccounts: { id: string; status: string }[] }>(
        'query ($filter: ServiceAccountFilter) { serviceAccounts(filter: $filter) { id status } }',
        { filter: status ? { status } : null },
        admin,
      );
      expect(body.errors).toBeUndefined();
      return body.data?.serviceAccounts ?? [];
    };
    const all = await ids();
    const statuses = new Set(all.map((a) => a.status));
    expect(statuses).toEqual(new Set(['ACTIVE', 'EXPIRING_SOON', 'REVOKED']));
    for (const status of ['EXPIRING_SOON', 'REVOKED']) {
      const listed = await ids(status);
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.every((a) => a.status === status)).toBe(true);
    }
    expect((await ids('EXPIRING_SOON')).map((a) => a.id)).toContain(soon?.serviceAccount.id);
    expect((await ids('ACTIVE')).every((a) => a.status === 'ACTIVE' || a.status === 'EXPIRING_SOON')).toBe(true);
    const audit = await app.graphql<{ auditEvents: { nodes: { action: string }[] } }>(
      'query ($id: Int) { auditEvents(filter: { serviceAccountId: $id }) { nodes { action actorLabel } } }',
      { id: Number(soon?.serviceAccount.id) },
      admin,
    );
    expect(audit.body.data?.auditEvents.nodes.map((n) => n.action)).toEqual(['service_account.created']);
  });
});
