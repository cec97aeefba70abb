import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

// Timed polls are stopped below, so that only the pushed notification can tell B.
const slowPoll = { REVOCATION_POLL_MS: '60000' };

describe.runIf(testProviders.includes('postgresql'))('changes pushed with LISTEN/NOTIFY on postgresql', () => {
  let a: TestApp;
  let b: TestApp;
  let quiet: TestApp;
  let admin: string;

  beforeAll(async () => {
    a = await startTestApp('postgresql', slowPoll);
    b = await startTestApp('postgresql', slowPoll, a);
    quiet = await startTestApp('postgresql', { ...slowPoll, REVOCATION_NOTIFY: 'false' }, a);
    admin = await a.login(adminUserName, adminPassword);
    // No timed poll at all on B and on the quiet one: B can learn only from the feed.
    b.auth.revocations.stop();
    quiet.auth.revocations.stop();
  });
  afterAll(async () => {
    await quiet?.close();
    await b?.close();
    await a?.close();
  });

  const getAll = (app: TestApp, token: string) =>
    app.fetch('/api/issues/getAll', { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

  it('reaches another instance without waiting for its poll; without the feed only the poll would', async () => {
    const { body } = await a.graphql<{ createServiceAccount: { token: string; serviceAccount: { id: string } } }>(
      'mutation { createServiceAccount(input: { durationDays: 3, purpose: "Pushed revocation" }) { token serviceAccount { id } } }',
      {},
      admin,
    );
    const token = body.data?.createServiceAccount.token ?? '';
    expect(await getAll(b, token)).toBe(200);
    expect(await getAll(quiet, token)).toBe(200);
    await a.graphql(
      'mutation ($id: ID!) { revokeServiceAccount(id: $id) { id } }',
      { id: body.data?.createServiceAccount.serviceAccount.id },
      admin,
    );
    // A generous deadline: B has no timed poll, only the notification can tell it.
    await expect.poll(() => getAll(b, token), { timeout: 20_000, interval: 20 }).toBe(401);
    // The instance without the feed has not heard: it learns at its next poll.
    expect(await getAll(quiet, token)).toBe(200);
    await quiet.auth.revocations.nextPoll();
    expect(await getAll(quiet, token)).toBe(401);
  });

  it('pushes session ends and deactivations too', async () => {
    const id = await a.createUser('pushed.user', ['AUDITOR']);
    const session = await b.login('pushed.user', 'a perfectly long password');
    const me = () => b.graphql('{ me { userName } }', {}, session).then((r) => r.status);
    expect(await me()).toBe(200);
    await a.graphql('mutation ($id: ID!) { deactivateUser(id: $id) { id } }', { id }, admin);
    await expect.poll(me, { timeout: 20_000, interval: 20 }).toBe(401);
  });
});
