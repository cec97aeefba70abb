import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium } from '../support/browser.ts';
import { killAll, type ServerProcess, startServerProcess } from '../support/process.ts';

const haveBrowser = haveChromium('the admin console browser test');

const admin = { ADMIN_USERNAME: 'console.admin', ADMIN_PASSWORD: 'console admin password' };
/** Where the test leaves its screenshot (a CI artifact). */
export const artifacts = new URL('../../test-results/', import.meta.url).pathname;

describe.runIf(haveBrowser)('the admin console in Chromium', () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grc-console-'));
    // VIEW_APIS=false: the console is an application, served all the same.
    server = await startServerProcess({
      DATABASE_URL: `file:${join(dir, 'console.db')}`,
      VIEW_APIS: 'false',
      ...admin,
    });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1366, height: 800 } });
    page = await context.newPage();
    // The console must make no request beyond its own server.
    page.on('request', (request) => {
      if (!request.url().startsWith(server.url) && !request.url().startsWith('data:')) {
        throw new Error(`external request: ${request.url()}`);
      }
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    killAll();
  });

  const getAll = (token: string) =>
    fetch(`${server.url}/api/issues/getAll`, { headers: { authorization: `Bearer ${token}` } });

  it('creates a service account, shows its token once, and revokes it', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/admin`);
    await page.getByLabel('User name').fill(admin.ADMIN_USERNAME);
    await page.getByLabel('Password').fill(admin.ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Service Accounts' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'User menu' }).textContent()).toContain(admin.ADMIN_USERNAME);

    await page.getByRole('link', { name: 'Create New' }).first().click();
    await page.getByLabel('Duration in days').fill('30');
    await page.getByLabel('Purpose (what the token is for)').fill('Nightly export from the browser test');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByText('It will not be shown again').isVisible()).toBe(true);
    const token = await page.locator('#new-token').inputValue();
    expect(token.split('.')).toHaveLength(3);
    expect((await getAll(token)).status).toBe(200);

    await page.getByRole('link', { name: 'Back to the list' }).click();
    const row = page.locator('tr', { hasText: 'Nightly export from the browser test' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/AUDITOR.*console\.admin.*in 30 days.*active/s);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'admin-service-accounts.png'), fullPage: true });

    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Revoked');
    expect(await page.locator('tr', { hasText: 'Nightly export from the browser test' }).textContent()).toContain(
      'revoked',
    );
    const refused = await getAll(token);
    expect(refused.status).toBe(401);
    // The token is nowhere to be read again.
    expect(await page.content()).not.toContain(token);
    expect(errors).toEqual([]);
  });

  it('tells a signed-in user without the role that they lack it', async () => {
    const login = await fetch(`${server.url}/api/authentication/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userName: admin.ADMIN_USERNAME, password: admin.ADMIN_PASSWORD }),
    });
    const session = (await login.json()).auth_token;
    await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session}` },
      body: JSON.stringify({
        query:
          'mutation { createUser(input: { userName: "plain.auditor", password: "a long auditor password", roles: [AUDITOR] }) { id } }',
      }),
    });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('User name').fill('plain.auditor');
    await page.getByLabel('Password').fill('a long auditor password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Not authorized' }).waitFor();
    expect(await page.locator('#view').textContent()).toContain('requires the ADMINISTRATOR role');
  });

  it('shows sessions, ends one, transfers a suspended account, and signs out on the server', async () => {
    const api = async (query: string, token: string, variables: Record<string, unknown> = {}) =>
      (
        await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
        })
      ).json();
    const login = async (userName: string, password: string) =>
      (
        await (
          await fetch(`${server.url}/api/authentication/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ userName, password }),
          })
        ).json()
      ).auth_token as string;
    const root = await login(admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD);
    const created = await api(
      'mutation { createUser(input: { userName: "leaving.admin", password: "a long leaving password", roles: [ADMINISTRATOR] }) { id } }',
      root,
    );
    const leaving = await login('leaving.admin', 'a long leaving password');
    const account = await api(
      'mutation { createServiceAccount(input: { durationDays: 7, purpose: "Left behind by a leaver" }) { token } }',
      leaving,
    );
    const token = account.data.createServiceAccount.token as string;
    await api('mutation ($id: ID!) { deactivateUser(id: $id) { id } }', root, { id: created.data.createUser.id });
    expect((await getAll(token)).status).toBe(401);

    await page.getByRole('navigation', { name: 'User menu' }).getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('User name').fill(admin.ADMIN_USERNAME);
    await page.getByLabel('Password').fill(admin.ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Service Accounts' }).waitFor();
    const browserToken = await page.evaluate(() => sessionStorage.getItem('grc-admin-token'));

    await page.getByLabel('Status').selectOption('SUSPENDED');
    const row = page.locator('tr', { hasText: 'Left behind by a leaver' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/suspended.*its creator was deactivated/s);
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Transfer to me' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('works again');
    expect((await getAll(token)).status).toBe(200);

    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.getByRole('heading', { name: 'Sessions', exact: true }).waitFor();
    const own = page.locator('table').first();
    await expect.poll(() => own.locator('tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await own.textContent()).toContain('(this session)');
    await page.screenshot({ path: join(artifacts, 'admin-sessions.png'), fullPage: true });
    // End the session made over the API above: its token is refused from then on.
    const other = own.locator('tbody tr', { hasNot: page.getByText('(this session)') }).first();
    await other.getByRole('button', { name: 'End' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('session has ended');
    await expect
      .poll(async () => (await api('{ me { userName } }', root)).errors?.[0]?.extensions?.code ?? 'OK')
      .toBe('UNAUTHENTICATED');

    await page.getByRole('navigation', { name: 'User menu' }).getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('User name').waitFor();
    const after = await api('{ me { userName } }', browserToken ?? '');
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
