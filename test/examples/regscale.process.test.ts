import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, type ServerProcess, startServerProcess } from '../support/process.ts';

const run = promisify(execFile);
const admin = { ADMIN_USERNAME: 'regscale.admin', ADMIN_PASSWORD: 'regscale admin password' };

/** A Python 3 with `requests` (Debian's python3-requests), if this machine has one. */
function pythonWithRequests(): string | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
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
if (!python && process.env.CI === 'true') throw new Error('CI needs Python 3 with requests');

describe.runIf(python)('examples/python/regscale_client.py against a running server', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grc-regscale-'));
    server = await startServerProcess({ DATABASE_URL: `file:${join(dir, 'regscale.db')}`, ...admin });
  });
  afterAll(killAll);

  it('signs in, validates, writes and pages issues the way RegScale’s client does', async () => {
    const { stdout } = await run(python ?? 'python3', ['examples/python/regscale_client.py'], {
      env: {
        PATH: process.env.PATH ?? '',
        GRC_URL: server.url,
        GRC_USER: admin.ADMIN_USERNAME,
        GRC_PASSWORD: admin.ADMIN_PASSWORD,
      },
      timeout: 60_000,
    });
    expect(stdout.trim().split('\n')).toEqual([
      'login 200',
      'validateToken 200',
      'user id from token matches: True',
      'insert_issue 200 I - High - Significant Deficiency',
      'update_issue 200 Closed',
      'batchcreate 200 60',
      'getAllByParent 200 61',
      'graph 61 issues in 2 pages, totalCount 61',
      "closed: ['Python finding']",
    ]);
  });
});
