import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

describe.each(testProviders)('GraphiQL on %s', (provider) => {
  let app: TestApp;
  let off: TestApp;
  beforeAll(async () => {
    app = await startTestApp(provider, { VIEW_APIS: 'true' });
    off = await startTestApp(provider, { VIEW_APIS: 'false' });
  });
  afterAll(async () => {
    await app.close();
    await off.close();
  });

  const assetsOf = (html: string) =>
    [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="(\/graphiql\/[^"]+)"/g)].map((m) => m[1] as string);

  it('serves a small page whose script, styles and icon are separate, cacheable files', async () => {
    const page = await app.fetch('/graphql', { headers: { accept: 'text/html' } });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html.length).toBeLessThan(10_000);
    const assets = assetsOf(html);
    expect(assets.map((a) => a.split('/').at(-1)).sort()).toEqual(['favicon.ico', 'graphiql.css', 'graphiql.js']);
    const workers = [...html.matchAll(/'(\w+)\.worker\.js'|\? label : '(\w+)'/g)];
    expect(workers.length).toBeGreaterThan(0);
    for (const path of [...assets, assets[0]?.replace(/[^/]+$/, 'editor.worker.js') ?? '']) {
      const response = await app.fetch(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  it('sends an asset compressed as the client accepts (br, then gzip), plain otherwise', async () => {
    const html = await (await app.fetch('/graphql', { headers: { accept: 'text/html' } })).text();
    const script = assetsOf(html).find((a) => a.endsWith('.js')) ?? '';
    const plain = Buffer.from(
      await (await app.fetch(script, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer(),
    );
    for (const [accept, encoding, decode] of [
      ['gzip, deflate, br', 'br', brotliDecompressSync],
      ['gzip', 'gzip', gunzipSync],
      ['br;q=0, gzip', 'gzip', gunzipSync],
    ] as const) {
      // undici's fetch would decode the body itself: ask the server directly through server.fetch.
      const response = await app.server.fetch(`http://localhost${script}`, { headers: { 'accept-encoding': accept } });
      expect(response.headers.get('content-encoding')).toBe(encoding);
      expect(response.headers.get('vary')).toContain('Accept-Encoding');
      const body = Buffer.from(await response.arrayBuffer());
      expect(body.length).toBeLessThan(plain.length / 2);
      expect(decode(body).equals(plain)).toBe(true);
    }
    const none = await app.server.fetch(`http://localhost${script}`);
    expect(none.headers.get('content-encoding')).toBeNull();
  });

  it('serves none of it with VIEW_APIS=false', async () => {
    const html = await (await app.fetch('/graphql', { headers: { accept: 'text/html' } })).text();
    for (const path of assetsOf(html)) expect((await off.fetch(path)).status, path).toBe(404);
    expect((await off.fetch('/graphql', { headers: { accept: 'text/html' } })).status).toBe(404);
  });
});
