import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `src/cli/audit-export.ts` as `npm run audit:export` does, with a minimal environment. */
function auditExport(args: string[], env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/audit-export.ts', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      ...(process.env.CI === undefined ? {} : { CI: process.env.CI }),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`audit-export did not exit within 60 s:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.each(testProviders)('npm run audit:export on %s', (provider) => {
  let app: TestApp;
  let env: Record<string, string>;
  let admin: string;

  beforeAll(async () => {
    app = await startTestApp(provider);
    env = { DATABASE_URL: app.database.url };
    admin = await app.login(adminUserName, adminPassword);
    await app.db.auditEvent.createMany({
      data: Array.from({ length: 1100 }, (_, i) => ({
        at: new Date(Date.UTC(2022, 0, 1, 0, 0, i)),
        actorType: 'SYSTEM' as const,
        action: 'test.bulk',
        targetId: String(i),
        details: JSON.stringify({ i, text: 'line\nbreak "quoted"' }),
      })),
    });
  });
  afterAll(() => app?.close());

  const rest = async (query: string) => {
    const response = await app.fetch(`/api/audit/export${query}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(response.status).toBe(200);
    return response.text();
  };

  it('prints the same lines as GET /api/audit/export', async () => {
    const all = await auditExport(['--since', '1970-01-01'], env);
    expect(all).toMatchObject({ code: 0, stderr: '' });
    expect(all.stdout).toBe(await rest('?since=1970-01-01'));
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1100);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('action');

    const range = await auditExport(['--since', '2022-01-01T00:05:00Z', '--until', '2022-01-01T00:09:59Z'], env);
    expect(range.code).toBe(0);
    expect(range.stdout).toBe(await rest('?since=2022-01-01T00:05:00Z&until=2022-01-01T00:09:59Z'));
    expect(
      range.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).targetId),
    ).toEqual(Array.from({ length: 300 }, (_, i) => String(300 + i)));
  });
});

describe('npm run audit:export, whatever the database', () => {
  const env = { DATABASE_URL: `file:${join(tmpdir(), `grc-missing-${process.pid}.db`)}` };

  it('prints its help, and refuses unknown flags and bad dates with exit code 2', async () => {
    const help = await auditExport(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: npm run -s audit:export -- --since');
    for (const args of [['--since', '2022-01-01', '--format', 'csv'], [], ['--since', 'yesterday'], ['--since']]) {
      const run = await auditExport(args, env);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('usage: npm run -s audit:export');
    }
    const reversed = await auditExport(['--since', '2022-01-02', '--until', '2022-01-01'], env);
    expect(reversed).toMatchObject({ code: 2, stdout: '' });
    expect(reversed.stderr).toContain('--until: must not be before since');
  });

  it('fails with exit code 1 without a database, and creates none', async () => {
    const run = await auditExport(['--since', '2022-01-01'], env);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toContain('No database at');
    expect(existsSync(env.DATABASE_URL.slice('file:'.length))).toBe(false);
  });
});
