import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, type ServerProcess, startServerProcess } from '../support/process.ts';

const run = promisify(execFile);
const admin = { ADMIN_USERNAME: 'example.admin', ADMIN_PASSWORD: 'example admin password' };

/** A Python 3 with `requests` (Debian's python3-requests), if this machine has one. */
function pythonWithRequests(): string | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import requests'], { stdio: 'ignore' });
      return python;
    } catch {
      // try the next one
    }
  }
  return undefined;
}
const python = pythonWithRequests();
if (!python) {
  if (process.env.CI === 'true') throw new Error('CI needs Python 3 with requests (.ci/run installs python3-requests)');
  process.stderr.write(
    '\nPython 3 with requests not found: the Python example test is SKIPPED (apt-get install python3-requests).\n\n',
  );
}

describe('the examples, against a running server', () => {
  let server: ServerProcess;
  let token = '';

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grc-examples-'));
    server = await startServerProcess({ DATABASE_URL: `file:${join(dir, 'examples.db')}`, ...admin });
    const login = await fetch(`${server.url}/api/authentication/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userName: admin.ADMIN_USERNAME, password: admin.ADMIN_PASSWORD }),
    });
    const session = (await login.json()).auth_token;
    const gql = (query: string, bearer: string) =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ query }),
      }).then((r) => r.json());
    for (const title of ['Open finding A', 'Open finding B']) {
      await gql(`mutation { createIssue(input: { title: "${title}", severityLevel: HIGH }) { id } }`, session);
    }
    await gql('mutation { createIssue(input: { title: "Closed finding", status: CLOSED }) { id } }', session);
    token = (
      await gql(
        'mutation { createServiceAccount(input: { durationDays: 1, purpose: "Python example" }) { token } }',
        session,
      )
    ).data.createServiceAccount.token;
  });
  afterAll(killAll);

  it('curl.sh signs in, creates a service account and calls getAll with it', async () => {
    const { stdout, stderr } = await run('bash', ['examples/curl.sh'], {
      env: { PATH: process.env.PATH ?? '', BASE_URL: server.url, ...admin },
      timeout: 30_000,
    });
    expect(stderr).toMatch(/service account created; it expires \d{4}-/);
    expect(stdout.trim()).toBe('getAll returned 3 issues');
  });

  it.runIf(python)('the Python script reads getAll with a service-account token', async () => {
    const { stdout } = await run(python ?? 'python3', ['examples/python/get_all_issues.py'], {
      env: { PATH: process.env.PATH ?? '', GRC_URL: server.url, GRC_TOKEN: token },
      timeout: 30_000,
    });
    expect(stdout).toContain('3 issues');
    expect(stdout).toContain('#1 [I - High - Significant Deficiency] Open: Open finding A');
  });

  it.runIf(python)('the Python script reports a refused token clearly', async () => {
    const refused = await run(python ?? 'python3', ['examples/python/get_all_issues.py'], {
      env: { PATH: process.env.PATH ?? '', GRC_URL: server.url, GRC_TOKEN: 'not.a.token' },
    }).catch((e: { stderr: string; code: number }) => e);
    expect(refused).toMatchObject({ code: 1 });
    expect((refused as { stderr: string }).stderr).toContain('401 UNAUTHENTICATED');
  });

  it('the typed TypeScript client runs with the generated documents', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/typescript/client.ts'], {
      env: { PATH: process.env.PATH ?? '', GRC_URL: server.url, ...admin },
      timeout: 30_000,
    });
    expect(stdout).toMatch(/service account \d+ expires/);
    expect(stdout).toContain('2 open issues');
  });
});

describe('curl.sh against a server with no issues', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grc-examples-empty-'));
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServerProcess({ DATABASE_URL: `file:${join(dir, 'empty.db')}`, ...admin });
  });
  afterAll(async () => {
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports 0 issues instead of failing', async () => {
    const { stdout, stderr } = await run('bash', ['examples/curl.sh'], {
      env: { PATH: process.env.PATH ?? '', BASE_URL: server.url, ...admin },
      timeout: 30_000,
    });
    expect(stderr).toMatch(/service account created; it expires \d{4}-/);
    expect(stdout.trim()).toBe('getAll returned 0 issues');
  });
});
