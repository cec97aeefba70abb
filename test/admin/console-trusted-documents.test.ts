import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentHash, loadManifest } from '../../src/plugins/trusted-documents.ts';
import { haveChromium, launchChromium } from '../support/browser.ts';
import { freshDatabase, type TestDatabase, testProviders } from '../support/databases.ts';
import { killAll, type ServerProcess, startServerProcess } from '../support/process.ts';

const haveBrowser = haveChromium('the admin console under TRUSTED_DOCUMENTS=require');

const admin = { ADMIN_USERNAME: 'trusted.admin', ADMIN_PASSWORD: 'trusted admin password' };

/**
 * The console in Chromium against a production-like server (VIEW_APIS=false,
 * TRUSTED_DOCUMENTS=require): every page it opens sends only trusted
 * documents, and none is refused. It walks the pages by their addresses, so
 * that it asks as little as possible of the console's layout.
 */
describe.runIf(haveBrowser).each(testProviders)(
  'the admin console under TRUSTED_DOCUMENTS=require on %s',
  (provider) => {
    let database: TestDatabase;
    let server: ServerProcess;
    let browser: Browser;
    let page: Page;
    const manifest = loadManifest();
    /** Every GraphQL request the page sent, with the answer's status and error codes. */
    const exchanges: { query: string; status: number; codes: string[] }[] = [];
    const pending: Promise<void>[] = [];

    beforeAll(async () => {
      database = await freshDatabase(provider);
      server = await startServerProcess({
        DATABASE_URL: database.url,
        VIEW_APIS: 'false',
        TRUSTED_DOCUMENTS: 'require',
        ...admin,
      });
      browser = await launchChromium();
      page = await (await browser.newContext()).newPage();
      page.on('response', (response) => {
        if (new URL(response.url()).pathname !== '/graphql') return;
        pending.push(
          (async () => {
            const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
            exchanges.push({
              query: JSON.parse(response.request().postData() ?? '{}').query ?? '',
              status: response.status(),
              codes: (body.errors ?? []).map((e) => e.extensions?.code ?? ''),
            });
          })(),
        );
      });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await killAll();
      await database?.drop();
    });

    it('signs in, creates a service account and visits every page with trusted documents only', async () => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/admin`);
      await page.getByLabel('User name').fill(admin.ADMIN_USERNAME);
      await page.getByLabel('Password').fill(admin.ADMIN_PASSWORD);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Service Accounts' }).waitFor();

      await page.goto(`${server.url}/admin#/service-accounts/new`);
      await page.getByLabel('Duration in days').fill('30');
      await page.getByLabel('Purpose (what the token is for)').fill('Made under require');
      await page.getByRole('button', { name: 'Create' }).click();
      await expect.poll(() => page.getByText('It will not be shown again').isVisible()).toBe(true);

      for (const hash of ['#/service-accounts', '#/service-accounts?status=ACTIVE', '#/service-accounts/1/audit']) {
        const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/graphql');
        await page.evaluate((h) => {
          location.hash = h;
        }, hash);
        await answered;
      }
      // The Sessions page shows once it has both its lists (own sessions, then users).
      await page.evaluate(() => {
        location.hash = '#/sessions';
      });
      await page.getByRole('heading', { name: 'Sessions', exact: true }).waitFor();
      await page.getByRole('navigation', { name: 'User menu' }).getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('User name').waitFor();
      await Promise.all(pending);

      expect(errors).toEqual([]);
      // Sign-in, me, create, the lists, the audit trail, sessions, users and sign-out.
      const names = new Set(exchanges.map(({ query }) => /^\w+ (\w+)/.exec(query)?.[1]));
      expect([...names]).toEqual(
        expect.arrayContaining([
          'ConsoleSignIn',
          'ConsoleMe',
          'ConsoleCreateServiceAccount',
          'ConsoleServiceAccounts',
          'ConsoleServiceAccountAudit',
          'ConsoleSessions',
          'ConsoleUsers',
          'ConsoleSignOut',
        ]),
      );
      for (const { query, status, codes } of exchanges) {
        expect({ query, listed: manifest.get(documentHash(query)) === query, status, codes }).toEqual({
          query,
          listed: true,
          status: 200,
          codes: [],
        });
      }
    });
  },
);
