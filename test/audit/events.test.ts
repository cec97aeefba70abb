import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

describe.each(testProviders)('audit action prefixes are literal on %s', (provider) => {
  let app: TestApp;
  let token: string;
  const actions = ['a_b.x', 'aXb.x', 'a%b.x', 'a%%b.x', 'a\\b.x', 'A_B.x', 'a_b', 'a_b.'];

  beforeAll(async () => {
    app = await startTestApp(provider);
    token = await app.login(adminUserName, adminPassword);
    for (const action of actions) {
      await app.db.auditEvent.create({ data: { action, actorType: 'SYSTEM', targetType: 'Test', targetId: '1' } });
    }
  });
  afterAll(() => app?.close());

  const matching = async (action: string) => {
    const { status, body } = await app.graphql<{ auditEvents: { nodes: { action: string }[] } }>(
      'query ($a: String!) { auditEvents(filter: { action: $a }, first: 500) { nodes { action } } }',
      { a: action },
      token,
    );
    expect(status).toBe(200);
    return (body.data?.auditEvents.nodes ?? []).map((n) => n.action).sort();
  };

  it.each([
    ['a_b.', ['a_b.', 'a_b.x']], // `_` is no wildcard (it matched aXb.x and a%b.x)
    ['a%b.', ['a%b.x']], // nor is `%` (it matched a%%b.x, aXb.x, a_b.x)
    ['%.', []],
    ['_.', []],
    ['a\\b.', ['a\\b.x']],
    ['A_B.', ['A_B.x']], // case counts, on SQLite too (its LIKE ignores case)
  ])('%s matches %j only', async (prefix, expected) => {
    expect(await matching(prefix)).toEqual(expected);
  });

  it('real prefixes with _ still match their events, and an action without a final dot matches exactly', async () => {
    expect((await matching('auth.login.')).length).toBeGreaterThan(0);
    expect(await matching('a_b')).toEqual(['a_b']);
  });
});
