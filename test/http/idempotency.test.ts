import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

describe.each(testProviders)('Idempotency-Key on %s', (provider) => {
  let a: TestApp;
  let b: TestApp;
  let admin: string;

  beforeAll(async () => {
    a = await startTestApp(provider);
    b = await startTestApp(provider, {}, a);
    admin = await a.login(adminUserName, adminPassword);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const create = (app: TestApp, key: string, title: string, token = admin) =>
    app.fetch('/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'idempotency-key': key,
      },
      body: JSON.stringify({
        query: `mutation { createIssue(input: { title: ${JSON.stringify(title)} }) { id title } }`,
      }),
    });
  const count = (title: string) => a.db.issue.count({ where: { title } });

  it('makes one issue of 20 parallel sends; each answer is the first or 409 IDEMPOTENCY_IN_PROGRESS', async () => {
    const key = randomUUID();
    const title = `Parallel ${key}`;
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const r = await create(i % 2 ? b : a, key, title);
        return { status: r.status, replayed: r.headers.get('idempotent-replayed'), body: await r.text() };
      }),
    );
    expect(await count(title)).toBe(1);
    const first = answers.find((x) => x.status === 200 && x.replayed === null);
    expect(first).toBeDefined();
    for (const answer of answers) {
      if (answer.status === 409) {
        expect(JSON.parse(answer.body).errors[0].extensions.code).toBe('IDEMPOTENCY_IN_PROGRESS');
      } else {
        expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: first?.body });
      }
    }
  });

  it('replays the first answer byte for byte on a retry, on either instance, without doing the work again', async () => {
    const key = randomUUID();
    const title = `Retried ${key}`;
    const first = await create(a, key, title);
    const firstBody = await first.text();
    for (const app of [a, b]) {
      const again = await create(app, key, title);
      expect(again.status).toBe(first.status);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.text()).toBe(firstBody);
    }
    expect(await count(title)).toBe(1);
    // The answer is not kept in a usable form.
    const rows = await a.db.idempotencyKey.findMany();
    for (const row of rows) {
      expect(Buffer.from(row.body ?? new Uint8Array()).toString('latin1')).not.toContain('Retried');
      expect(row.id).not.toContain(key);
    }
  });

  it('refuses the same key with another request (422), and keeps keys per principal', async () => {
    const key = randomUUID();
    expect((await create(a, key, `One ${key}`)).status).toBe(200);
    const reused = await create(a, key, `Another ${key}`);
    expect(reused.status).toBe(422);
    expect((await reused.json()).errors[0].extensions.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await count(`Another ${key}`)).toBe(0);
    // Another caller's same key is theirs alone.
    await a.createUser('other.writer', ['ISSUE_MANAGER']);
    const other = await a.login('other.writer', 'a perfectly long password');
    expect((await create(a, key, `Theirs ${key}`, other)).status).toBe(200);
    expect(await count(`Theirs ${key}`)).toBe(1);
  });

  it('refuses a malformed key with 400 and does nothing', async () => {
    const title = `Bad key ${randomUUID()}`;
    const long = await create(a, 'x'.repeat(256), title);
    expect(long.status).toBe(400);
    expect((await long.json()).errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(await count(title)).toBe(0);
  });

  it('keeps keys for 24 hours only (the injected clock)', async () => {
    // A token that still works a day later: a service account's.
    const account = await a.graphql<{ createServiceAccount: { token: string } }>(
      'mutation { createServiceAccount(input: { durationDays: 5, purpose: "Idempotency expiry", roles: [ADMINISTRATOR] }) { token } }',
      {},
      admin,
    );
    const token = account.body.data?.createServiceAccount.token ?? '';
    const key = randomUUID();
    const title = `Expiring ${key}`;
    expect((await create(a, key, title, token)).status).toBe(200);
    expect((await create(a, key, title, token)).headers.get('idempotent-replayed')).toBe('true');
    const saved = a.clock.now;
    try {
      a.clock.now = new Date(saved.getTime() + 24 * 3_600_000 + 1000);
      const later = await create(a, key, title, token);
      expect(later.headers.get('idempotent-replayed')).toBeNull();
      expect(await count(title)).toBe(2);
    } finally {
      a.clock.now = saved;
    }
  });
});
