import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { haveChromium, launchChromium } from '../support/browser.ts';

const haveBrowser = haveChromium('the Swagger UI browser test');

describe.runIf(haveBrowser)('Swagger UI in Chromium', () => {
  let app: TestApp;
  let http: Server;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    app = await startTestApp('sqlite');
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

  it('renders every operation under the page’s CSP, tries one out, and calls no other origin', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(url) && !request.url().startsWith('data:')) {
        problems.push(`external request: ${request.url()}`);
      }
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

    await page.goto(`${url}/swagger`);
    const operations = page.locator('.opblock-summary-path');
    await expect.poll(() => operations.count(), { timeout: 15_000 }).toBe(15);
    expect((await operations.allTextContents()).map((text) => text.replace(/\u200b/g, '')).sort()).toEqual(
      [
        '/.well-known/jwks.json',
        '/api/audit/export',
        '/api/authentication/login',
        '/api/authentication/logout',
        '/api/authentication/validateToken',
        '/api/issues',
        '/api/issues/batchCreate',
        '/api/issues/batchCreateOrUpdate',
        '/api/issues/batchUpdate',
        '/api/issues/getAll',
        '/api/issues/getAllByParent/{parentId}/{module}',
        '/api/issues/{id}',
        '/api/issues/{id}',
        '/healthz',
        '/readyz',
      ].sort(),
    );
    expect(await page.locator('.info .title').textContent()).toContain('GRC API (REST)');

    // Try it out: the page may call this server (connect-src 'self').
    const liveness = page.locator('#operations-Operations-liveness');
    await liveness.locator('.opblock-summary').click();
    await liveness.locator('button.try-out__btn').click();
    await liveness.locator('button.execute').click();
    const status = liveness.locator('.live-responses-table tbody .response-col_status').first();
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toContain('200');

    expect(problems).toEqual([]);
    await page.close();
  });
});
