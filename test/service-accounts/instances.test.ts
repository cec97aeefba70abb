import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

describe.each(testProviders)('two instances on one %s database', (provider) => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp(provider);
    b = await startTestApp(provider, {}, a);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('share signing keys: a token from one works on the other', async () => {
    const token = await a.login(adminUserName, adminPassword);
    expect((await b.graphql('{ me { userName } }', {}, token)).status).toBe(200);
  });

  it('see a revocation made on the other within a second', async () => {
    // B learns of it at its next poll: within a second, as it polls at least twice a second. The
    // bound is read from the configuration rather than timed (load stretches any measurement).
    expect(b.config.serviceAccounts.revocationPollMs).toBeLessThanOrEqual(500);
    const admin = await a.login(adminUserName, adminPassword);
    const { body } = await a.graphql<{ createServiceAccount: { token: string; serviceAccount: { id: string } } }>(
      'mutation { createServiceAccount(input: { durationDays: 10, purpose: "Shared script" }) { token serviceAccount { id } } }',
      {},
      admin,
    );
    const created = body.data?.createServiceAccount;
    const getAll = (app: TestApp) =>
      app.fetch('/api/issues/getAll', { headers: { authorization: `Bearer ${created?.token}` } });
    expect((await getAll(b)).status).toBe(200);

    await a.graphql(
      'mutation ($id: ID!) { revokeServiceAccount(id: $id) { id } }',
      { id: created?.serviceAccount.id },
      admin,
    );
    expect((await getAll(a)).status).toBe(401);
    await b.auth.revocations.nextPoll();
    expect((await getAll(b)).status).toBe(401);
  });

  it('see a deactivated user’s session refused on the other within a second', async () => {
    const id = await a.createUser('leaving.user', ['AUDITOR']);
    const session = await b.login('leaving.user', 'a perfectly long password');
    expect((await b.graphql('{ me { userName } }', {}, session)).status).toBe(200);
    const admin = await a.login(adminUserName, adminPassword);
    await a.graphql('mutation ($id: ID!) { deactivateUser(id: $id) { active } }', { id }, admin);
    await b.auth.revocations.nextPoll();
    expect((await b.graphql('{ me { userName } }', {}, session)).status).toBe(401);
    // Reactivated on one instance: a new session works on the other too.
    await a.graphql('mutation ($id: ID!) { activateUser(id: $id) { active } }', { id }, admin);
    const fresh = await a.login('leaving.user', 'a perfectly long password');
    // By B's own timer this time (no poll forced): however long the machine takes, well within 30 s.
    await expect
      .poll(async () => (await b.graphql('{ me { userName } }', {}, fresh)).status, { timeout: 30_000, interval: 50 })
      .toBe(200);
  }, 60_000);
});
