import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium } from '../support/browser.ts';
import { freshDatabase, type TestDatabase, testProviders } from '../support/databases.ts';
import { killAll, type ServerProcess, startServerProcess } from '../support/process.ts';

const haveBrowser = haveChromium('the admin console browser test');

const admin = { ADMIN_USERNAME: 'console.admin', ADMIN_PASSWORD: 'console admin password' };
const newPassword = 'a brand new console password';
/** Where the test leaves its screenshots (a CI artifact; gitignored). */
export const artifacts = new URL('../../test-results/', import.meta.url).pathname;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** Generous: this machine is shared and slow; conditions are waited for, never times. */
const wait = { timeout: 60_000 };
const step = { timeout: 240_000 };

interface Allowed {
  status: number;
  path: string;
}

/**
 * Watches a page: every console error, page error, failed request and HTTP error answer is a
 * problem unless the current step said it expects that answer (`expect(status, path)`).
 */
function watch(page: Page, origin: string) {
  const problems: string[] = [];
  let allowed: Allowed[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const status = /status of (\d+)/.exec(m.text())?.[1];
    if (status && allowed.some((a) => a.status === Number(status))) return;
    problems.push(`console error: ${m.text()}`);
  });
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) {
      problems.push(`request to another origin: ${url}`);
    }
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() < 400) return;
    const path = new URL(r.url()).pathname;
    if (!allowed.some((a) => a.status === r.status() && a.path === path)) {
      problems.push(`unexpected ${r.status()} from ${path}`);
    }
  });
  return {
    problems,
    expect(status: number, path = '/graphql') {
      allowed.push({ status, path });
    },
    /** Ends a step: nothing unexpected happened in it. */
    done() {
      allowed = [];
      expect(problems).toEqual([]);
    },
  };
}

describe.runIf(haveBrowser).each(testProviders)('the admin console in Chromium on %s', (provider) => {
  /** Screenshots in four looks are taken on the first provider: the pages are the same on both. */
  const pictures = provider === testProviders[0];
  let database: TestDatabase;
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let watcher: ReturnType<typeof watch>;

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
  const getAll = async (token: string) =>
    (await fetch(`${server.url}/api/issues/getAll`, { headers: { authorization: `Bearer ${token}` } })).status;

  /** Fails on any axe violation of level serious or critical. */
  async function axe(where: string) {
    if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      // biome-ignore lint/suspicious/noExplicitAny: axe is injected as a script, untyped here
      const result = await (window as any).axe.run(document, { resultTypes: ['violations'] });
      return (result.violations as { id: string; impact: string; help: string; nodes: { target: string[] }[] }[])
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    expect(violations, `axe on ${where}`).toEqual([]);
  }

  /** No horizontal scroll: the page is no wider than the window. */
  async function fits(where: string) {
    const { scroll, width } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      width: window.innerWidth,
    }));
    expect(scroll, `width of ${where}`).toBeLessThanOrEqual(width);
  }

  /**
   * Checks a screen at 1280×800 and 390×844, light and dark (axe in each, no horizontal scroll
   * at 390 px) and, on the first provider, screenshots it in each under test-results/.
   */
  async function look(name: string) {
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ] as const) {
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.setViewportSize({ width, height });
        await page.emulateMedia({ colorScheme });
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const where = `${name} at ${width} px, ${colorScheme}`;
        if (width === 390) await fits(where);
        await axe(where);
        if (pictures) {
          await page.screenshot({ path: `${artifacts}${name}-${width}-${colorScheme}.png`, fullPage: true });
        }
      }
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'light' });
  }

  const heading = (name: string) => page.getByRole('heading', { name, exact: true, level: 2 }).first().waitFor(wait);
  const nav = () => page.getByRole('navigation', { name: 'Main' });
  const notice = () => page.locator('.notice').first();
  const dialog = () => page.getByRole('dialog');
  const row = (text: string) => page.locator('tbody tr', { hasText: text });

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    database = await freshDatabase(provider);
    // VIEW_APIS=false: the console is an application, served all the same.
    server = await startServerProcess({ DATABASE_URL: database.url, VIEW_APIS: 'false', ...admin });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page = await context.newPage();
    watcher = watch(page, server.url);
  }, 120_000);
  afterEach(async ({ task }) => {
    // What the page showed when a step failed (the artifact to look at first).
    if (task.result?.state === 'fail')
      await page.screenshot({ path: `${artifacts}failed-${provider}.png`, fullPage: true });
  });
  afterAll(async () => {
    await browser?.close();
    await killAll();
    await database?.drop();
  });

  it('signs in; the sign-in page has no navigation', step, async () => {
    await page.goto(`${server.url}/admin`);
    await heading('Sign in');
    expect(await nav().count()).toBe(0);
    // Served from this origin, with a favicon and the strict policy.
    const response = await fetch(`${server.url}/admin`);
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-[^']+';/);
    expect(response.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect((await fetch(`${server.url}/admin/favicon.svg`)).headers.get('content-type')).toBe('image/svg+xml');
    await look('sign-in');

    watcher.expect(401);
    await page.getByLabel('User name').fill(admin.ADMIN_USERNAME);
    await page.getByLabel('Password').fill('not the password at all');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent(), wait).toContain('do not match');

    await page.getByLabel('Password').fill(admin.ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    await heading('Service accounts');
    expect(await page.locator('.who').textContent()).toContain(admin.ADMIN_USERNAME);
    expect(await nav().textContent()).toMatch(/Service accounts.*Users.*Audit.*My account/);
    watcher.done();
  });

  let leaverId = '';
  it('creates a user, checking as the administrator types and naming the field the server refuses', step, async () => {
    await nav().getByRole('link', { name: 'Users' }).click();
    await heading('Users');
    await page.getByRole('link', { name: 'Create user' }).click();
    await heading('Create user');
    await page.getByLabel('User name').fill('x y');
    await page.getByText('Only letters, digits and . _ @ -').waitFor(wait);
    await page.getByLabel('User name').fill('leaving.admin');
    await page.getByLabel('Name (optional)').fill('Leaving Admin');
    await page.getByLabel('Password').fill('short');
    await page.getByText('At least 12 characters (now 5).').waitFor(wait);
    await look('user-create');
    // Long enough, but too common: the server says so, next to the field.
    watcher.expect(400);
    await page.getByLabel('Password').fill('qwerty123456');
    await page.getByRole('button', { name: 'Create user' }).click();
    const passwordError = page.locator('#f-password-error');
    await expect.poll(() => passwordError.textContent(), wait).toMatch(/^Is too common/);
    expect(await page.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Password').fill('a long leaving password');
    await page.getByRole('button', { name: 'Create user' }).click();
    await heading('leaving.admin');
    leaverId = new URL(page.url()).hash.split('/')[2] ?? '';
    expect(leaverId).toMatch(/^[0-9a-f-]{36}$/);
    watcher.done();
  });

  it('gives the user roles', step, async () => {
    await page.getByRole('checkbox', { name: /Administrator/ }).check();
    await page.getByRole('checkbox', { name: /Issue manager/ }).check();
    await page.getByRole('button', { name: 'Save roles' }).click();
    await expect.poll(() => notice().textContent(), wait).toContain('Roles of leaving.admin saved');
    await look('user-detail');
    const saved = await api(
      'query ($id: ID!) { user(id: $id) { roles } }',
      await login(admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD),
      { id: leaverId },
    );
    expect(saved.data.user.roles).toEqual(['ADMINISTRATOR', 'AUDITOR', 'ISSUE_MANAGER']);
    await nav().getByRole('link', { name: 'Users' }).click();
    await row('leaving.admin').waitFor(wait);
    expect(await row('leaving.admin').textContent()).toMatch(/Auditor.*Issue manager|Administrator/);
    await look('users');
    watcher.done();
  });

  it('creates a service account whose token works against getAll', step, async () => {
    await nav().getByRole('link', { name: 'Service accounts' }).click();
    await heading('Service accounts');
    await page.getByRole('link', { name: 'Create service account' }).click();
    await heading('Create service account');
    // The server's own limits: its maximum days, and only the roles this administrator may grant.
    await page.getByLabel('Duration in days').fill('9999');
    await page.getByText('At most 365 days on this server.').waitFor(wait);
    await page.getByLabel('Duration in days').fill('abc');
    await page.getByText('Enter whole days, as digits.').waitFor(wait);
    // console.admin holds ADMINISTRATOR alone: Issue manager is not offered.
    expect(await page.getByRole('checkbox').allTextContents()).toHaveLength(2);
    expect(await page.getByRole('checkbox', { name: /Issue manager/ }).count()).toBe(0);
    await page.getByLabel('Duration in days').fill('30');
    await page.getByLabel('Purpose').fill('Nightly export from the browser test');
    await look('service-account-create');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await heading('Service account created');
    expect(await page.getByText('It will not be shown again').isVisible()).toBe(true);
    const token = await page.locator('#new-token').inputValue();
    expect(token.split('.')).toHaveLength(3);
    expect(await getAll(token)).toBe(200);
    await look('service-account-token');
    await page.getByRole('link', { name: 'Back to the list' }).click();
    await row('Nightly export from the browser test').waitFor(wait);
    expect(await row('Nightly export from the browser test').textContent()).toMatch(
      /Active.*Auditor.*console\.admin.*in 30 days/s,
    );
    expect(await page.content()).not.toContain(token);
    watcher.done();
  });

  it('searches and pages through 60 more accounts', step, async () => {
    const root = await login(admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD);
    for (let batch = 0; batch < 6; batch++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          api(
            'mutation ($p: String!) { createServiceAccount(input: { durationDays: 60, purpose: $p }) { token } }',
            root,
            {
              p: `Batch account ${String(batch * 10 + i + 1).padStart(2, '0')}`,
            },
          ),
        ),
      );
    }
    await nav().getByRole('link', { name: 'Service accounts' }).click();
    const pager = page.getByRole('navigation', { name: 'Pages of service accounts' });
    await expect.poll(() => pager.textContent(), wait).toContain('1–25 of 61');
    expect(await page.locator('tbody tr').count()).toBe(25);
    await look('service-accounts');
    await pager.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => pager.textContent(), wait).toContain('26–50 of 61');
    await pager.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => pager.textContent(), wait).toContain('51–61 of 61');
    expect(await pager.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    await pager.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => pager.textContent(), wait).toContain('26–50 of 61');

    await page.getByLabel('Search').fill('batch account 07');
    await expect.poll(() => page.locator('tbody tr').count(), wait).toBe(1);
    expect(await page.locator('tbody tr').textContent()).toContain('Batch account 07');
    expect(new URL(page.url()).hash).toContain('search=batch+account+07');
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Sort by').selectOption({ label: 'Purpose A–Z' });
    await expect.poll(() => page.locator('tbody tr').first().textContent(), wait).toContain('Batch account 01');
    await page.getByLabel('Status').selectOption({ label: 'Expired' });
    await page.getByText('No expired service accounts.').waitFor(wait);
    watcher.done();
  });

  let leftToken = '';
  it('suspends an account by deactivating its creator', step, async () => {
    const leaving = await login('leaving.admin', 'a long leaving password');
    const made = await api(
      'mutation { createServiceAccount(input: { durationDays: 7, purpose: "Left behind by a leaver" }) { token } }',
      leaving,
    );
    leftToken = made.data.createServiceAccount.token;
    expect(await getAll(leftToken)).toBe(200);

    await nav().getByRole('link', { name: 'Users' }).click();
    await row('leaving.admin').getByRole('link', { name: 'leaving.admin' }).click();
    await heading('leaving.admin');
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await dialog().waitFor(wait);
    expect(await dialog().getByRole('heading').textContent()).toBe('Deactivate leaving.admin?');
    await look('user-deactivate-dialog');
    await dialog().getByRole('button', { name: 'Deactivate' }).click();
    await expect.poll(() => notice().textContent(), wait).toContain('leaving.admin is deactivated');
    expect(await dialog().count()).toBe(0);
    expect(await getAll(leftToken)).toBe(401);

    await nav().getByRole('link', { name: 'Service accounts' }).click();
    await page.getByLabel('Status').selectOption({ label: 'Suspended' });
    await row('Left behind by a leaver').waitFor(wait);
    expect(await row('Left behind by a leaver').textContent()).toMatch(/Suspended.*its owner was deactivated/s);
    // The owner is typed as a user name: a part of several names says whose, a whole one filters.
    await page.getByLabel('Status').selectOption({ label: 'All statuses' });
    await page.getByLabel('Owner').fill('admin');
    await page.getByText('“admin” is in several users’ names (console.admin, leaving.admin)').waitFor(wait);
    await page.getByLabel('Owner').fill('Leaving.Admin');
    await expect.poll(() => page.locator('tbody tr').count(), wait).toBe(1);
    expect(await page.locator('tbody tr').textContent()).toContain('Left behind by a leaver');
    await page.getByLabel('Owner').fill('');
    watcher.done();
  });

  it('transfers the suspended account, rotates it (checking the days as typed) and revokes it', step, async () => {
    await row('Left behind by a leaver').getByRole('link').first().click();
    await heading('Left behind by a leaver');
    await page.getByRole('button', { name: 'Transfer' }).click();
    await dialog().waitFor(wait);
    await expect.poll(() => dialog().getByLabel('New owner').inputValue(), wait).not.toBe('');
    await dialog().getByRole('button', { name: 'Transfer' }).click();
    await expect.poll(() => notice().textContent(), wait).toContain('works again');
    expect(await getAll(leftToken)).toBe(200);
    await expect.poll(() => page.locator('.facts').textContent(), wait).toMatch(/Owner\s*console\.admin/);
    await page.getByRole('cell', { name: 'service_account.transferred' }).first().waitFor(wait);
    await look('service-account-detail');

    // By keyboard: a visible focus ring, the dialog takes focus, Escape gives it back.
    await page.getByRole('button', { name: 'Transfer' }).focus();
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Rotate');
    expect(await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle)).toBe('solid');
    await page.keyboard.press('Enter');
    await dialog().waitFor(wait);
    expect(await page.evaluate(() => document.activeElement?.closest('dialog') != null)).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog().count(), wait).toBe(0);
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent), wait).toBe('Rotate');
    await page.keyboard.press('Enter');
    const days = dialog().getByLabel('Days until the new token expires');
    await days.fill('abc');
    await dialog().getByText('Enter whole days, as digits.').waitFor(wait);
    await days.fill('9999');
    await dialog().getByText('At most 365 days on this server.').waitFor(wait);
    await look('service-account-rotate-dialog');
    await days.fill('30');
    await dialog().getByRole('button', { name: 'Rotate token' }).click();
    await heading('Token rotated');
    const rotated = await page.locator('#new-token').inputValue();
    expect(await getAll(rotated)).toBe(200);
    expect(await getAll(leftToken)).toBe(401);
    // After a rotation "Back to the list" works (it used to be the same hash, and did nothing).
    await page.getByRole('link', { name: 'Back to the list' }).click();
    await heading('Service accounts');
    await page.getByLabel('Search').fill('Left behind');
    await expect.poll(() => page.locator('tbody tr').count(), wait).toBe(2);
    const old = page.locator('tbody tr', { hasText: 'replaced by' });
    expect(await old.textContent()).toMatch(/Revoked.*by console\.admin.*replaced by/s);
    await page.locator('tbody tr', { hasNotText: 'replaced by' }).getByRole('link').first().click();
    await heading('Left behind by a leaver');
    expect(await page.locator('.facts').textContent()).toContain('Replaces');

    await page.getByRole('button', { name: 'Revoke' }).click();
    await dialog().getByRole('button', { name: 'Revoke token' }).click();
    await expect.poll(() => notice().textContent(), wait).toContain('Revoked the token for “Left behind by a leaver”');
    await expect.poll(() => page.locator('.facts').textContent(), wait).toMatch(/Revoked.*by console\.admin/s);
    expect(await getAll(rotated)).toBe(401);
    watcher.done();
  });

  it('ends another session of mine, whose token is then refused', step, async () => {
    const other = await login(admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD);
    expect((await api('{ me { userName } }', other)).data.me.userName).toBe(admin.ADMIN_USERNAME);
    await nav().getByRole('link', { name: 'My account' }).click();
    await heading('My account');
    const table = page.getByRole('table', { name: 'Your sessions' });
    await expect.poll(() => table.locator('tbody tr').count(), wait).toBeGreaterThanOrEqual(2);
    expect(await table.textContent()).toContain('(this session)');
    await look('my-account');
    await table
      .locator('tbody tr', { hasNotText: '(this session)' })
      .first()
      .getByRole('button', { name: /^End/ })
      .click();
    await expect.poll(() => notice().textContent(), wait).toContain('The session has ended');
    await expect
      .poll(async () => (await api('{ me { userName } }', other)).errors?.[0]?.extensions?.code ?? 'OK', wait)
      .toBe('UNAUTHENTICATED');
    watcher.done();
  });

  it('changes my own password, naming a wrong current one at its field', step, async () => {
    watcher.expect(400);
    await page.getByLabel('Password now').fill('not my password at all');
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('New password again').fill('something else entirely');
    await page.getByText('The two new passwords differ.').waitFor(wait);
    await page.getByLabel('New password again').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect
      .poll(() => page.locator('#f-currentPassword-error').textContent(), wait)
      .toBe('Is not your current password.');
    await page.getByLabel('Password now').fill(admin.ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => notice().textContent(), wait).toContain('Your password is changed');
    expect(await login(admin.ADMIN_USERNAME, newPassword)).toMatch(/\./);
    watcher.done();
  });

  it('filters the audit trail and exports it', step, async () => {
    await nav().getByRole('link', { name: 'Audit' }).click();
    await heading('Audit');
    await page.getByLabel('Action').fill('service_account.');
    await page.getByRole('cell', { name: 'service_account.revoked' }).first().waitFor(wait);
    await expect
      .poll(
        async () =>
          (await page.locator('tbody td[data-label="Action"]').allTextContents()).every((a) =>
            a.startsWith('service_account.'),
          ),
        wait,
      )
      .toBe(true);
    await page.getByLabel('Actor').fill('leaving.admin');
    await expect
      .poll(async () => (await page.locator('tbody td[data-label="Actor"]').allTextContents()).join('|'), wait)
      .toMatch(/^leaving\.admin(\|leaving\.admin)*$/);
    await page.getByLabel('Actor').fill('');
    await page.getByLabel('Action').fill('');
    await look('audit');
    const [download] = await Promise.all([
      page.waitForEvent('download', wait),
      page.getByRole('button', { name: 'Export (NDJSON)' }).click(),
    ]);
    const lines = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const actions = lines.map((l) => l.action);
    expect(actions).toContain('service_account.transferred');
    expect(actions).toContain('user.deactivated');
    expect(await notice().textContent()).toContain('The export is downloaded');
    watcher.done();
  });

  it('tells a signed-in user without the role that they lack it, and still offers My account', step, async () => {
    const root = await login(admin.ADMIN_USERNAME, newPassword);
    await api(
      'mutation { createUser(input: { userName: "plain.auditor", password: "a long auditor password", roles: [AUDITOR] }) { id } }',
      root,
    );
    await page.getByRole('button', { name: 'Sign out' }).first().click();
    await heading('Sign in');
    expect(await nav().count()).toBe(0);
    await page.getByLabel('User name').fill('plain.auditor');
    await page.getByLabel('Password').fill('a long auditor password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Not authorized');
    expect(await page.locator('main').textContent()).toContain('requires the ADMINISTRATOR role');
    expect(await nav().getByRole('link').allTextContents()).toEqual(['My account']);

    // Signing out everywhere ends every session of theirs, another one made over the API too.
    const elsewhere = await login('plain.auditor', 'a long auditor password');
    await nav().getByRole('link', { name: 'My account' }).click();
    await expect
      .poll(() => page.getByRole('table', { name: 'Your sessions' }).locator('tbody tr').count(), wait)
      .toBe(2);
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await dialog().getByRole('button', { name: 'Sign out everywhere' }).click();
    await heading('Sign in');
    expect((await api('{ me { userName } }', elsewhere)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    watcher.done();
  });
});
