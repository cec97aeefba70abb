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
    const revokedAt = performance.now();
    expect((await getAll(a)).status).toBe(401);
    let refusedAfter = Number.POSITIVE_INFINITY;
    while (performance.now() - revokedAt < 3000) {
      if ((await getAll(b)).status === 401) {
        refusedAfter = performance.now() - revokedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(refusedAfter).toBeLessThan(1000);
  });

  it('see a deactivated user’s session refused on the other within a second', async () => {
    const id = await a.createUser('leaving.user', ['AUDITOR']);
    const session = await b.login('leaving.user', 'a perfectly long password');
    expect((await b.graphql('{ me { userName } }', {}, session)).status).toBe(200);
    const admin = await a.login(adminUserName, adminPassword);
    await a.graphql('mutation ($id: ID!) { deactivateUser(id: $id) { active } }', { id }, admin);
    await expect
      .poll(async () => (await b.graphql('{ me { userName } }', {}, session)).status, { timeout: 1000, interval: 25 })
      .toBe(401);
    // Reactivated on one instance: a new session works on the other too.
    await a.graphql('mutation ($id: ID!) { activateUser(id: $id) { active } }', { id }, admin);
    const fresh = await a.login('leaving.user', 'a perfectly long password');
    await expect
      .poll(async () => (await b.graphql('{ me { userName } }', {}, fresh)).status, { timeout: 1000, interval: 25 })
      .toBe(200);
  });
});
