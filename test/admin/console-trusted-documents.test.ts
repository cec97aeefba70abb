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
 * TRUSTED_DOCUMENTS=require): every screen it opens, and the changes made on
 * them, send only trusted documents, and none is refused. It walks the
 * screens mostly by their addresses (each list's filters are in its
 * address), so that it asks little of their layout.
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
    const wait = { timeout: 60_000 };

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

    const heading = (name: string) => page.getByRole('heading', { name, exact: true, level: 2 }).first().waitFor(wait);
    const row = (text: string) => page.locator('tbody tr', { hasText: text }).first().waitFor(wait);
    const visit = (hash: string) =>
      page.evaluate((h) => {
        location.hash = h;
      }, hash);

    it('signs in and walks every screen, changing things on them, with trusted documents only', {
      timeout: 240_000,
    }, async () => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/admin`);
      await page.getByLabel('User name').fill(admin.ADMIN_USERNAME);
      await page.getByLabel('Password').fill(admin.ADMIN_PASSWORD);
      await page.keyboard.press('Enter');
      await heading('Service accounts');

      // Service accounts: create one, find it by search, filter, sort, owner and token id.
      await visit('#/service-accounts/new');
      await heading('Create service account');
      await page.getByLabel('Duration in days').fill('30');
      await page.getByLabel('Purpose').fill('Made under require');
      await page.getByRole('button', { name: 'Create', exact: true }).click();
      await page.getByText('It will not be shown again').waitFor(wait);
      for (const hash of [
        '#/service-accounts',
        '#/service-accounts?status=ACTIVE&sort=NAME:ASC',
        '#/service-accounts?search=under+require&role=AUDITOR',
        `#/service-accounts?owner=${admin.ADMIN_USERNAME}&sort=LAST_USED_AT:DESC`,
      ]) {
        await visit(hash);
        await row('Made under require');
      }
      await visit('#/service-accounts/1');
      await heading('Made under require');
      await page.getByRole('cell', { name: 'service_account.created' }).waitFor(wait);
      const tokenId = (await page.locator('.facts code').textContent()) ?? '';
      expect(tokenId).toMatch(/^[0-9a-f-]{36}$/);
      await page.getByRole('button', { name: 'Transfer' }).click();
      await expect.poll(() => page.getByLabel('New owner').inputValue(), wait).not.toBe('');
      await page.getByRole('dialog').getByRole('button', { name: 'Transfer' }).click();
      await page.getByText('has a new owner').waitFor(wait);
      await visit(`#/service-accounts?search=${tokenId}`);
      await row('Made under require');

      // Users: the list, create one, give roles, their page's sessions.
      await visit('#/users?search=trusted&sort=CREATED_AT:DESC&active=true');
      await row(admin.ADMIN_USERNAME);
      await visit('#/users/new');
      await heading('Create user');
      await page.getByLabel('User name').fill('made.under.require');
      await page.getByLabel('Password').fill('a long password under require');
      await page.getByRole('button', { name: 'Create user' }).click();
      await heading('made.under.require');
      await page.getByRole('checkbox', { name: /Issue manager/ }).check();
      await page.getByRole('button', { name: 'Save roles' }).click();
      await page.getByText('Roles of made.under.require saved').waitFor(wait);

      // The audit trail, filtered; my account's sessions; sign-out.
      await visit('#/audit?action=service_account.');
      await page.getByRole('cell', { name: 'service_account.transferred' }).waitFor(wait);
      await visit('#/account');
      await heading('My account');
      await page.getByRole('table', { name: 'Your sessions' }).waitFor(wait);
      await page.getByRole('button', { name: 'Sign out' }).first().click();
      await heading('Sign in');
      await expect.poll(() => exchanges.length + pending.length, wait).toBeGreaterThan(0);
      await Promise.all(pending);

      expect(errors).toEqual([]);
      const names = new Set(exchanges.map(({ query }) => /^\w+ (\w+)/.exec(query)?.[1]));
      expect([...names]).toEqual(
        expect.arrayContaining([
          'ConsoleSignIn',
          'ConsoleMe',
          'ConsoleCreateServiceAccount',
          'ConsoleServiceAccounts',
          'ConsoleUserNames',
          'ConsoleServiceAccount',
          'ConsoleAuditEvents',
          'ConsoleAdministrators',
          'ConsoleTransferServiceAccount',
          'ConsoleUsers',
          'ConsoleCreateUser',
          'ConsoleUser',
          'ConsoleUserSessions',
          'ConsoleSetUserRoles',
          'ConsoleSessions',
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
