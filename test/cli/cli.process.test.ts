import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedDatabase, type TestDatabase } from '../support/databases.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a script as its npm script does (`tsx FILE ARGS`), with a minimal environment. */
function run(file: string, args: string[], env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
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
      reject(new Error(`${file} did not exit within 60 s:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every script in package.json that parses arguments, by its npm name. */
const scripts = [
  { name: 'keys:rotate', file: 'src/cli/rotate-keys.ts' },
  { name: 'service-account', file: 'src/cli/service-account.ts' },
  { name: 'admin:reset-password', file: 'src/cli/reset-password.ts' },
  { name: 'schema:print', file: 'src/cli/print-schema.ts' },
  { name: 'schema:check', file: 'src/cli/schema-check.ts' },
  { name: 'db:migrate', file: 'src/cli/migrate.ts' },
  { name: 'db:seed', file: 'prisma/seed.ts' },
  { name: 'db:migration', file: 'prisma/migration.ts' },
  { name: 'db:generate', file: 'prisma/generate.ts' },
  { name: 'codegen', file: 'codegen.ts' },
  { name: 'build', file: 'scripts/build.ts' },
];

/** Files of the repository that some script writes. */
const repositoryOutputs = [
  'schema.graphql',
  'test/generated/operations.ts',
  'examples/typescript/generated/operations.ts',
  'prisma/generated/sqlite/schema.prisma',
  'prisma/generated/postgresql/schema.prisma',
  'src/generated/sqlite/client.ts',
  'src/generated/postgresql/client.ts',
];

function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('every CLI script: --help and usage errors', () => {
  let dir: string;
  let database: TestDatabase;
  let env: Record<string, string>;
  let keyFile: string;
  let dbFile: string;

  /** Contents and modification time of everything a script could change. */
  const snapshot = () => {
    const files = [keyFile, dbFile, `${dbFile}-wal`, ...repositoryOutputs].map((path) =>
      existsSync(path)
        ? {
            path,
            mtimeMs: statSync(path).mtimeMs,
            sha: createHash('sha256').update(readFileSync(path)).digest('hex'),
          }
        : { path, absent: true },
    );
    return {
      files,
      dataDir: listTree(dir),
      migrations: listTree('prisma/migrations'),
      defaultData: existsSync('data') ? listTree('data') : [],
    };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'grc-cli-'));
    database = await migratedDatabase('sqlite');
    dbFile = database.url.slice('file:'.length);
    keyFile = join(dir, 'jwt-keys.json');
    env = {
      DATABASE_URL: database.url,
      JWT_KEY_FILE: keyFile,
      MIGRATION_POSTGRES_URL: 'postgresql://nobody@127.0.0.1:1/none',
    };
    // A key file to leave alone: made by the script itself, with no argument.
    const rotated = await run('src/cli/rotate-keys.ts', [], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/^New signing key \S+ in /);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await database?.drop();
  });

  it.each(scripts)('$name --help prints the usage, exits 0 and changes nothing', async ({ name, file }) => {
    const before = snapshot();
    for (const flag of ['--help', '-h']) {
      const result = await run(file, [flag], env);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.startsWith(`usage: npm run ${name}`)).toBe(true);
      expect(result.stdout).toContain('-h, --help');
      expect(result.stdout).toMatch(/Exit codes: 0 /);
      expect(result.stderr).toBe('');
    }
    expect(snapshot()).toEqual(before);
  });

  it.each(scripts)(
    '$name with an unknown flag exits 2 with the synopsis and changes nothing',
    async ({ name, file }) => {
      const before = snapshot();
      const result = await run(file, ['--no-such-flag'], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("Unknown option '--no-such-flag'");
      expect(result.stderr).toContain(`usage: npm run ${name}`);
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(result.stdout).toBe('');
      expect(snapshot()).toEqual(before);
    },
  );

  it.each(scripts)('$name with stray arguments exits 2 and changes nothing', async ({ name, file }) => {
    const before = snapshot();
    // More positionals than any script takes (service-account: two; db:migration, schema:check: one).
    const result = await run(file, ['list', 'stray', 'more'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`usage: npm run ${name}`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot()).toEqual(before);
  });

  it('keys:rotate -- --help no longer rotates the key (it did)', async () => {
    const keys = readFileSync(keyFile, 'utf8');
    expect((await run('src/cli/rotate-keys.ts', ['--help'], env)).code).toBe(0);
    expect(readFileSync(keyFile, 'utf8')).toBe(keys);
    // Without arguments it still rotates.
    expect((await run('src/cli/rotate-keys.ts', [], env)).code).toBe(0);
    expect(readFileSync(keyFile, 'utf8')).not.toBe(keys);
  });

  it('service-account refuses a missing or unknown command and options of another command with exit 2', async () => {
    const before = snapshot();
    for (const args of [[], ['destroy'], ['revoke'], ['list', '--days', '3'], ['create', '--status', 'ACTIVE']]) {
      const result = await run('src/cli/service-account.ts', args, env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('usage: npm run service-account');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(snapshot()).toEqual(before);
  });

  it('db:migration refuses a missing or malformed name with exit 2, writing nothing', async () => {
    const before = snapshot();
    for (const args of [[], ['Bad-Name']]) {
      const result = await run('prisma/migration.ts', args, env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('usage: npm run db:migration -- NAME');
    }
    expect(snapshot()).toEqual(before);
  });

  it('db:seed prints its progress', async () => {
    const result = await run('prisma/seed.ts', [], { ...env, SEED_ISSUES: '250', SEED_PASSWORD: 'a seed password!' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Migrating the database…');
    expect(result.stdout).toContain('Users: 4 created, 0 already there.');
    expect(result.stdout).toContain('Issues: 100/250\nIssues: 200/250\nIssues: 250/250\n');
    expect(result.stdout).toContain('Seeded 4 users and 250 issues');
  });

  it('db:migrate prints what it does', async () => {
    const result = await run('src/cli/migrate.ts', [], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Migrating the sqlite database \(\d+ committed migrations\)…\n/);
    expect(result.stdout).toContain('up to date');
  });
});
