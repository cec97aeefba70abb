import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `src/cli/reset-password.ts` as `npm run admin:reset-password` does,
 * with a minimal environment and `stdin` (empty when not given) on standard input.
 */
function resetPassword(args: string[], env: Record<string, string>, stdin = ''): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/reset-password.ts', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      ...(process.env.CI === undefined ? {} : { CI: process.env.CI }),
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`reset-password did not exit within 60 s:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.each(testProviders)('npm run admin:reset-password on %s', (provider) => {
  let app: TestApp;
  let env: Record<string, string>;
  let adminToken: string;

  beforeAll(async () => {
    app = await startTestApp(provider);
    // The database is migrated already; the first test runs with the default (migrate first) all the same.
    env = { DATABASE_URL: app.database.url, MIGRATE_ON_START: 'false' };
    adminToken = await app.login(adminUserName, adminPassword);
  });
  afterAll(() => app?.close());

  /** REST login status for a user name and password. */
  const loginStatus = async (userName: string, password: string) =>
    (
      await app.fetch('/api/authentication/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userName, password }),
      })
    ).status;

  /** Everything the CLI could change: every user's hash and state, and the audit log. */
  const snapshot = async () => ({
    users: await app.db.user.findMany({
      select: { id: true, passwordHash: true, active: true, updatedAt: true },
      orderBy: { id: 'asc' },
    }),
    audit: await app.db.auditEvent.findMany({ orderBy: { id: 'asc' } }),
  });

  const resetEvents = (userId: string) =>
    app.db.auditEvent.findMany({ where: { targetId: userId, actorType: 'SYSTEM' }, orderBy: { id: 'asc' } });

  it('generates a password, prints it once, and only the new password signs in', async () => {
    const id = await app.createUser('lost.admin', ['ADMINISTRATOR']);
    expect(await loginStatus('lost.admin', userPassword)).toBe(200);

    // Any case finds the user.
    const run = await resetPassword(['--user', 'LOST.Admin'], { DATABASE_URL: app.database.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^[\w-]{20,}\n$/);
    const password = run.stdout.trim();
    expect(run.stderr).toContain(`Password of lost.admin (${id}) reset`);
    expect(run.stderr).not.toContain(password);

    expect(await loginStatus('lost.admin', userPassword)).toBe(401);
    expect(await loginStatus('lost.admin', password)).toBe(200);

    const events = await resetEvents(id);
    expect(events).toEqual([
      expect.objectContaining({
        actorType: 'SYSTEM',
        actorUserId: null,
        action: 'user.password_reset',
        targetType: 'User',
        targetId: id,
        details: '{"via":"cli"}',
      }),
    ]);
    expect(JSON.stringify(await app.db.auditEvent.findMany())).not.toContain(password);
  });

  it('reads the new password from standard input with --password-stdin, printing nothing on stdout', async () => {
    await app.createUser('stdin.user', ['AUDITOR']);
    const password = 'a new password from stdin';
    const run = await resetPassword(['--user', 'stdin.user', '--password-stdin'], env, `${password}\n`);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toContain(password);
    expect(await loginStatus('stdin.user', password)).toBe(200);
    expect(await loginStatus('stdin.user', userPassword)).toBe(401);
  });

  it('takes the user from ADMIN_USERNAME, else admin', async () => {
    await app.createUser('Default.User', ['AUDITOR']);
    const named = await resetPassword(
      ['--password-stdin'],
      { ...env, ADMIN_USERNAME: 'default.user' },
      'the default user password',
    );
    expect(named.code).toBe(0);
    expect(await loginStatus('default.user', 'the default user password')).toBe(200);

    await app.createUser('admin', ['ADMINISTRATOR']);
    const plain = await resetPassword(['--password-stdin'], env, 'the plain admin password');
    expect(plain.code).toBe(0);
    expect(await loginStatus('admin', 'the plain admin password')).toBe(200);
  });

  it('refuses a password the API would refuse, changing nothing', async () => {
    const before = await snapshot();
    const run = await resetPassword(['--user', adminUserName, '--password-stdin'], env, 'elevenchars\n');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('password: must be at least 12 characters');
    const tooLong = await resetPassword(['--user', adminUserName, '--password-stdin'], env, 'x'.repeat(1025));
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('password: must be at most 1024 characters');
    expect(await snapshot()).toEqual(before);
  });

  it('--help prints the usage, exits 0 and does nothing', async () => {
    const before = await snapshot();
    const run = await resetPassword(['--help', '--user', adminUserName], env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^usage: npm run admin:reset-password -- \[--user NAME\] \[--password-stdin\]/);
    expect(run.stdout).toContain('--activate');
    expect(await snapshot()).toEqual(before);
    expect(await loginStatus(adminUserName, adminPassword)).toBe(200);
  });

  it.each([
    [['--user', adminUserName, '--force'], "Unknown option '--force'"],
    [[adminUserName], "Unexpected argument 'root.admin'"],
    [['--user'], "Option '--user <value>' argument missing"],
    [['--activate=yes'], "Option '--activate' does not take an argument"],
    [['--user', ''], '--user must name a user'],
  ])('exits 2 on %j, with a message on stderr, changing nothing', async (args, message) => {
    const before = await snapshot();
    const run = await resetPassword(args, env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('usage: npm run admin:reset-password');
    expect(await snapshot()).toEqual(before);
  });

  it('exits 1 for a user that does not exist, changing nothing', async () => {
    const before = await snapshot();
    const run = await resetPassword(['--user', 'nobody.here'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('No user named nobody.here');
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an inactive user without --activate, and reactivates it with it', async () => {
    const id = await app.createUser('sleepy.user', ['ISSUE_MANAGER']);
    const { body } = await app.graphql(
      'mutation ($id: ID!) { deactivateUser(id: $id) { active } }',
      { id },
      adminToken,
    );
    expect(body.data).toEqual({ deactivateUser: { active: false } });

    const before = await snapshot();
    const refused = await resetPassword(['--user', 'sleepy.user'], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/sleepy\.user is inactive.*--activate/);
    expect(await snapshot()).toEqual(before);

    const run = await resetPassword(['--user', 'sleepy.user', '--activate'], env);
    expect(run.code).toBe(0);
    const password = run.stdout.trim();
    expect(run.stderr).toContain('active again');
    const user = await app.db.user.findUniqueOrThrow({ where: { id } });
    expect(user.active).toBe(true);
    expect(await verifyPassword(password, user.passwordHash)).toBe(true);
    expect(await loginStatus('sleepy.user', password)).toBe(200);
    expect((await resetEvents(id)).map((e) => [e.action, e.details])).toEqual([
      ['user.password_reset', '{"via":"cli"}'],
      ['user.activated', '{"via":"cli"}'],
    ]);
  });
});
