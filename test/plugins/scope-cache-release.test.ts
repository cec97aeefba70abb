import { RequestCache } from '@pothos/plugin-scope-auth';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RequestContext } from '../../src/context.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const meQuery = '{ me { userName roles } }';
/** A query whose field has a scope (`can: readIssues`); the fresh database holds no issue. */
const scopedQuery = '{ issues(first: 1) { edges { cursor } } }';

describe.each(testProviders)('scope-auth request cache, and `{ me }` without it, on %s', (provider) => {
  let app: TestApp;
  let admin: string;
  beforeAll(async () => {
    app = await startTestApp(provider);
    admin = await app.login(adminUserName, adminPassword);
  });
  afterAll(() => app.close());
  afterEach(() => vi.restoreAllMocks());

  it('drops the request cache of each operation once it has run', async () => {
    const made = vi.spyOn(RequestCache, 'fromContext');
    const dropped = vi.spyOn(RequestCache, 'clearForContext');
    for (let i = 0; i < 2; i++) {
      const { status, body } = await app.graphql(scopedQuery, {}, admin);
      expect(status).toBe(200);
      expect(body.data).toEqual({ issues: { edges: [] } });
    }
    // One context per request, each made by a scope check and dropped after it.
    const contexts = new Set(made.mock.calls.map(([context]) => context));
    expect(contexts.size).toBe(2);
    expect(new Set(dropped.mock.calls.map(([context]) => context))).toEqual(contexts);
    for (const context of contexts) expect((context as RequestContext).principal?.userName).toBe(adminUserName);
  });

  it('answers `{ me }` from the token without a request cache (its rule is asked of the policy)', async () => {
    const made = vi.spyOn(RequestCache, 'fromContext');
    const { status, body } = await app.graphql(meQuery, {}, admin);
    expect(status).toBe(200);
    expect(body.data).toEqual({ me: { userName: adminUserName, roles: ['ADMINISTRATOR'] } });
    expect(made).not.toHaveBeenCalled();
  });

  it('still refuses `{ me }` to an anonymous caller, then to a revoked and a suspended token (401)', async () => {
    const anonymous = await app.graphql(meQuery);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(anonymous.body.data ?? null).toBeNull();

    const create = (token: string, roles: string[]) =>
      app.graphql<{ createServiceAccount: { token: string; serviceAccount: { id: string } } }>(
        'mutation ($roles: [Role!]) { createServiceAccount(input: { durationDays: 1, purpose: "Scope test", roles: $roles }) { token serviceAccount { id } } }',
        { roles },
        token,
      );
    const revoked = (await create(admin, ['AUDITOR'])).body.data?.createServiceAccount;
    expect((await app.graphql(meQuery, {}, revoked?.token)).status).toBe(200);
    await app.graphql(
      'mutation ($id: ID!) { revokeServiceAccount(id: $id) { id } }',
      { id: revoked?.serviceAccount.id },
      admin,
    );
    const afterRevocation = await app.graphql(meQuery, {}, revoked?.token);
    expect(afterRevocation.status).toBe(401);
    expect(afterRevocation.body.errors?.[0]).toMatchObject({
      message: 'Token revoked',
      extensions: { code: 'UNAUTHENTICATED' },
    });

    const creator = await app.createUser('scope.creator', ['ADMINISTRATOR', 'ISSUE_MANAGER']);
    const session = await app.login('scope.creator', userPassword);
    const suspended = (await create(session, ['ISSUE_MANAGER'])).body.data?.createServiceAccount;
    expect((await app.graphql(meQuery, {}, suspended?.token)).status).toBe(200);
    await app.graphql(
      'mutation ($id: ID!) { setUserRoles(userId: $id, roles: [ADMINISTRATOR]) { id } }',
      { id: creator },
      admin,
    );
    const afterSuspension = await app.graphql(meQuery, {}, suspended?.token);
    expect(afterSuspension.status).toBe(401);
    expect(afterSuspension.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(afterSuspension.body.errors?.[0]?.message).toMatch(/^Service account suspended/);
    // Another account's token goes on.
    expect((await app.graphql(meQuery, {}, admin)).status).toBe(200);
  });
});
