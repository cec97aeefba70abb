import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('keeps no verified token in memory: a heap snapshot holds no cached signature', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grc-token-heap-'));
  try {
    const run = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', 'test/auth/fixtures/token-heap.ts', dir],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(run.status, run.stderr).toBe(0);
    const found = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
    // The control: a token the script keeps on purpose is found, so the search works.
    expect(found).toEqual({ cachedSignatureInHeap: false, keptSignatureInHeap: true, keptCount: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
