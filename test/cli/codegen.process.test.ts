import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentHash } from '../../src/plugins/trusted-documents.ts';

const repository = new URL('../../', import.meta.url).pathname;

/** What `npm run codegen` reads and writes, copied so that the test can change operations. */
const copied = [
  'package.json',
  'codegen.ts',
  'schema.graphql',
  'trusted-documents.json',
  'src/cli/args.ts',
  'src/plugins/trusted-documents.ts',
  'src/admin/operations',
  'src/admin/public/operations.js',
  'test/schema',
  'test/generated',
  'examples/typescript',
];

function codegen(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'codegen.ts', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '' },
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
      reject(new Error(`codegen did not exit within 90 s:\n${stdout}\n${stderr}`));
    }, 90_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run codegen -- --check and the trusted documents', () => {
  let dir = '';
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'grc-codegen-'));
    for (const path of copied) cpSync(join(repository, path), join(dir, path), { recursive: true });
    symlinkSync(join(repository, 'node_modules'), join(dir, 'node_modules'), 'dir');
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('passes on the committed files, fails when an operation changes, and passes again once regenerated', async () => {
    expect((await codegen(dir, ['--check'])).code).toBe(0);
    const manifestBefore = read('trusted-documents.json');

    // The console asks for one more field when it signs in.
    const file = 'src/admin/operations/session.graphql';
    writeFileSync(
      join(dir, file),
      read(file).replace('login(userName: $userName, password: $password) {\n    token', '$&\n    expiresAt'),
    );
    const stale = await codegen(dir, ['--check']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('trusted-documents.json is out of date: run npm run codegen');
    expect(stale.stderr).toContain('src/admin/public/operations.js is out of date');
    // --check writes nothing.
    expect(read('trusted-documents.json')).toBe(manifestBefore);

    // So does the typed client's example.
    const example = 'examples/typescript/operations.graphql';
    writeFileSync(
      join(dir, example),
      read(example).replace('    expiresAt\n  }\n}', '    expiresAt\n    user {\n      id\n    }\n  }\n}'),
    );
    const both = await codegen(dir, ['--check']);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('examples/typescript/generated/operations.ts is out of date');

    const written = await codegen(dir, []);
    expect(written.code).toBe(0);
    expect(written.stdout).toContain('wrote trusted-documents.json');
    expect((await codegen(dir, ['--check'])).code).toBe(0);
    const manifest = JSON.parse(read('trusted-documents.json')) as Record<string, string>;
    const signIn = Object.values(manifest).find((text) => text.startsWith('mutation ConsoleSignIn')) ?? '';
    expect(signIn).toContain('expiresAt');
    expect(manifest[documentHash(signIn)]).toBe(signIn);
    expect(Object.keys(manifest)).toHaveLength(Object.keys(JSON.parse(manifestBefore)).length);
    expect(Object.keys(manifest).filter((hash) => !manifestBefore.includes(hash))).toHaveLength(2);
  });

  it('refuses an operation that does not validate against the schema, and an anonymous one', async () => {
    const file = 'src/admin/operations/session.graphql';
    const original = read(file);
    writeFileSync(join(dir, file), `${original}\nquery ConsoleBroken { me { noSuchField } }\n`);
    const invalid = await codegen(dir, ['--check']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^a trusted document does not validate: Cannot query field "noSuchField"/);
    expect(invalid.stderr).not.toContain('    at ');
    writeFileSync(join(dir, file), `${original}\nquery { me { userName } }\n`);
    const anonymous = await codegen(dir, ['--check']);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toBe('src/admin/operations/session.graphql: every operation needs a name\n');
    writeFileSync(join(dir, file), original);
  });
});
