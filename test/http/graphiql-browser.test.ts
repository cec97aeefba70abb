import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { haveChromium, launchChromium } from '../support/browser.ts';

const haveBrowser = haveChromium('the GraphiQL browser test');

// GraphiQL's assets are separate files now: the page must still render, start its editor
// workers from them under the page's CSP, and call no other origin.
describe.runIf(haveBrowser)('GraphiQL in Chromium', () => {
  let app: TestApp;
  let http: Server;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    app = await startTestApp('sqlite', { VIEW_APIS: 'true' });
    http = createServer(app.server);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => http?.close(resolve));
    await app?.close();
  });

  it('renders from its separate assets, starts its workers, and calls no other origin', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const requested: string[] = [];
    page.on('request', (request) => {
      requested.push(request.url());
      if (!request.url().startsWith(url) && !request.url().startsWith('data:')) {
        problems.push(`external request: ${request.url()}`);
      }
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

    await page.goto(`${url}/graphql`);
    await expect.poll(() => page.locator('.graphiql-container').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await expect
      .poll(() => requested.filter((r) => r.endsWith('.worker.js')).length, { timeout: 30_000 })
      .toBeGreaterThan(0);
    expect(requested.some((r) => /\/graphiql\/[^/]+\/graphiql\.js$/.test(r))).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);
});
