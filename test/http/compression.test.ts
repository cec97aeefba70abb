import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

describe.each(testProviders)('response compression on %s', (provider) => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await startTestApp(provider);
    token = await app.login(adminUserName, adminPassword);
  });
  afterAll(() => app.close());

  // server.fetch, not fetch: undici would decode the body before the test sees it.
  const send = (path: string, init: RequestInit = {}) => app.server.fetch(`http://localhost${path}`, init);
  const graphql = (query: string, headers: Record<string, string> = {}) =>
    send('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body: JSON.stringify({ query }),
    });

  // Every type's name and its fields' names: a few kilobytes.
  const large = '{ __schema { types { name fields { name } } } }';

  it('compresses a GraphQL query answer with gzip when accepted, not otherwise', async () => {
    const plain = await graphql(large);
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(Number(plain.headers.get('content-length'))).toBeGreaterThan(1024);
    const expected = await plain.json();
    const zipped = await graphql(large, { 'accept-encoding': 'gzip, br' });
    expect(zipped.headers.get('content-encoding')).toMatch(/^(gzip|br)$/);
    expect(zipped.headers.get('vary')).toContain('Accept-Encoding');
    if (zipped.headers.get('content-encoding') === 'gzip') {
      expect(JSON.parse(gunzipSync(Buffer.from(await zipped.arrayBuffer())).toString('utf8'))).toEqual(expected);
    }
    const refused = await graphql(large, { 'accept-encoding': 'gzip;q=0' });
    expect(refused.headers.get('content-encoding')).toBeNull();
  });

  it('sends an answer shorter than 1 KiB as it is, whatever the client accepts', async () => {
    const small = await graphql('{ me { userName } }', { 'accept-encoding': 'gzip, br' });
    expect(small.headers.get('content-encoding')).toBeNull();
    expect(Number(small.headers.get('content-length'))).toBeLessThan(1024);
    expect(await small.json()).toEqual({ data: { me: { userName: adminUserName } } });
  });

  it('sends a REST answer shorter than 1 KiB as it is, with its length, and compresses a longer one', async () => {
    const small = await send('/healthz', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(small.headers.get('content-encoding')).toBeNull();
    const text = await small.text();
    expect(Number(small.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    expect(JSON.parse(text)).toMatchObject({ status: 'ok' });
    // The home page lists every endpoint: over 1 KiB.
    const plain = await send('/', { headers: { accept: 'application/json' } });
    const length = Number(plain.headers.get('content-length'));
    expect(length).toBeGreaterThan(1024);
    const expected = await plain.json();
    const zipped = await send('/', { headers: { accept: 'application/json', 'accept-encoding': 'gzip' } });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(zipped.headers.get('content-length')).toBeNull();
    expect(JSON.parse(gunzipSync(Buffer.from(await zipped.arrayBuffer())).toString('utf8'))).toEqual(expected);
  });

  it('compresses REST reads, the getAll stream included', async () => {
    const response = await send('/api/issues/getAll', {
      headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(JSON.parse(gunzipSync(Buffer.from(await response.arrayBuffer())).toString('utf8'))).toEqual([]);
  });

  it('never compresses answers that carry tokens: mutations and sign-in', async () => {
    const mutation = await graphql(
      'mutation { createServiceAccount(input: { durationDays: 1, purpose: "compression test" }) { token } }',
      { 'accept-encoding': 'gzip, br' },
    );
    expect(mutation.headers.get('content-encoding')).toBeNull();
    expect((await mutation.json()).data.createServiceAccount.token).toBeTypeOf('string');
    const login = await send('/api/authentication/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, br' },
      body: JSON.stringify({ userName: adminUserName, password: adminPassword }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('content-encoding')).toBeNull();
  });
});
