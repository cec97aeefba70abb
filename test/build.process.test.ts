import { execFile, execFileSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase, testProviders } from './support/databases.ts';
import { killAll, type ServerProcess, startServerProcess } from './support/process.ts';

const repo = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
};

/**
 * `npm start` is `NODE_ENV=production exec node <entry>`, after `prestart` built it: the entry it
 * runs. `exec`, so that the signal npm passes on reaches the server, not a shell that would leave
 * it running.
 */
const startEntry = /^NODE_ENV=production exec node (\S+\.js)$/.exec(pkg.scripts.start ?? '')?.[1];

/** npm's own script, run by node as startServerProcess runs everything. */
const npmCli = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());

const secrets = mkdtempSync(join(tmpdir(), 'grc-build-'));
/**
 * As root, the server runs as nobody, as the image runs it as `node`: the code and its
 * dependencies (root's) are read-only to it, and only its own folder is writable.
 */
const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
if (asUser) chownSync(secrets, asUser.uid, asUser.gid);

// One build for the whole file: what `npm start` runs first.
beforeAll(async () => {
  await promisify(execFile)('npm', ['run', '--silent', 'build'], { cwd: repo, timeout: 280_000 });
}, 300_000);

afterAll(async () => {
  await killAll();
  rmSync(secrets, { recursive: true, force: true });
});

/** A process's command line, node's path shortened to `node`. */
function commandOf(pid: number): string[] {
  const [command = '', ...args] = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  return [command === process.execPath ? 'node' : command, ...args];
}

/** The processes below `pid` (children, grandchildren, …), from /proc. */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      // The parent is the second field after the command, which is in parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const below: number[] = [];
  for (let frontier = [pid]; frontier.length > 0; ) {
    frontier = [...parentOf].filter(([, parent]) => frontier.includes(parent)).map(([child]) => child);
    below.push(...frontier);
  }
  return below;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

describe('npm run build', () => {
  it('is what npm start runs, with NODE_ENV=production and no tsx', () => {
    expect(pkg.scripts.prestart).toBe('npm run build');
    expect(startEntry).toBe('dist/src/main.js');
    expect(pkg.scripts.start).not.toContain('tsx');
  });

  it('compiles every source file to JavaScript whose relative imports end in .js', () => {
    const sources = filesUnder(join(repo, 'src')).filter((f) => f.endsWith('.ts'));
    const compiled = new Set(filesUnder(join(repo, 'dist', 'src')));
    for (const source of sources) expect(compiled, source).toContain(source.replace(/\.ts$/, '.js'));
    const tsImports = [...compiled]
      .filter((f) => f.endsWith('.js'))
      .filter((f) =>
        /(?:from|import)\s*\(?\s*['"]\.{1,2}\/[^'"]+\.ts['"]/.test(readFileSync(join(repo, 'dist', 'src', f), 'utf8')),
      );
    expect(tsImports).toEqual([]);
  });

  it('puts beside it what the server reads from disk', () => {
    const dist = join(repo, 'dist');
    expect(JSON.parse(readFileSync(join(dist, 'package.json'), 'utf8'))).toMatchObject({
      version: pkg.version,
      type: 'module',
    });
    expect(readFileSync(join(dist, 'prisma', 'schema.prisma'), 'utf8')).toBe(
      readFileSync(join(repo, 'prisma', 'schema.prisma'), 'utf8'),
    );
    expect(filesUnder(join(dist, 'prisma', 'migrations')).sort()).toEqual(
      filesUnder(join(repo, 'prisma', 'migrations')).sort(),
    );
    for (const file of filesUnder(join(repo, 'src', 'admin', 'public'))) {
      expect(existsSync(join(dist, 'src', 'admin', 'public', file)), file).toBe(true);
    }
  });
});

describe('the compiled tools', () => {
  // The operators' tools, which the image holds (README: Build and run).
  const tools = ['migrate.js', 'rotate-keys.js', 'reset-password.js', 'service-account.js', 'audit-export.js'];

  it.each(tools)('dist/src/cli/%s --help prints its usage and exits 0, without tsx', async (tool) => {
    const { stdout } = await promisify(execFile)(process.execPath, [join('dist', 'src', 'cli', tool), '--help'], {
      cwd: repo,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
    });
    expect(stdout).toContain('-h, --help');
  });
});

describe.each(testProviders)('the compiled server on %s', (provider) => {
  const databases: TestDatabase[] = [];
  const servers: ServerProcess[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
    await Promise.all(databases.splice(0).map((d) => d.drop()));
  });

  it('starts as npm start starts it (as nobody, when root), migrates, serves GraphQL, the console and /readyz, without tsx', async () => {
    const database = await freshDatabase(provider);
    databases.push(database);
    const secret = (name: string, value: string) => {
      const path = join(secrets, `${provider}-${name}`);
      writeFileSync(path, `${value}\n`, { mode: 0o600 });
      if (asUser) chownSync(path, asUser.uid, asUser.gid);
      return path;
    };
    const server = await startServerProcess(
      {
        NODE_ENV: 'production',
        // Secrets as mounted files, as compose and the Helm chart give them.
        DATABASE_URL_FILE: secret('database-url', database.url),
        ADMIN_USERNAME: 'built.admin',
        ADMIN_PASSWORD_FILE: secret('admin-password', 'a password read from a file'),
        JWT_KEY_FILE: join(secrets, `${provider}-jwt-keys.json`),
      },
      60_000,
      true,
      asUser,
      { args: [startEntry ?? 'missing'] },
    );
    servers.push(server);

    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', provider, version: pkg.version });

    const login = await fetch(`${server.url}/api/authentication/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userName: 'built.admin', password: 'a password read from a file' }),
    });
    expect(login.status).toBe(200);
    const { auth_token: token } = (await login.json()) as { auth_token: string };
    const answer = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ version me { userName } issues(first: 1) { edges { node { id } } } }' }),
    });
    expect(await answer.json()).toEqual({
      data: { version: pkg.version, me: { userName: 'built.admin' }, issues: { edges: [] } },
    });
    expect((await fetch(`${server.url}/admin`)).status).toBe(200);
    // The console's files and the Preact and htm it serves from node_modules.
    for (const path of [
      '/admin/operations.js',
      '/admin/vendor/preact.js',
      '/admin/vendor/hooks.js',
      '/admin/vendor/htm.js',
    ]) {
      expect({ path, status: (await fetch(`${server.url}${path}`)).status }).toEqual({ path, status: 200 });
    }

    // No loader of TypeScript in the process: neither on its command line nor through NODE_OPTIONS.
    const pid = server.child.pid;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(cmdline.slice(1)).toEqual([startEntry]);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ.filter((v) => v.startsWith('NODE_OPTIONS='))).toEqual([]);
    expect(environ).toContain('NODE_ENV=production');
  }, 120_000);

  it('runs under npm start, and stops when npm gets SIGTERM: drained, exit 0, nothing left listening', async () => {
    const database = await freshDatabase(provider);
    databases.push(database);
    const server = await startServerProcess(
      {
        HOME: process.env.HOME ?? tmpdir(),
        DATABASE_URL: database.url,
        ADMIN_PASSWORD: 'an npm start admin password',
        SHUTDOWN_DRAIN_MS: '200',
      },
      120_000,
      true,
      undefined,
      { args: [npmCli, 'start', '--silent'] },
    );
    const below = descendants(server.child.pid ?? 0);
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      // The server is npm's own child: no shell between them to swallow the signal.
      expect(below.map((pid) => commandOf(pid))).toEqual([['node', startEntry]]);
      expect(await server.stop('SIGTERM', 30_000)).toBe(0);
      const messages = server.logLines().map((l) => l.msg);
      expect(messages).toContain('shutting down');
      expect(messages).toContain('stopped');
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    } finally {
      // Whatever happened, no server outlives the test (killing npm would leave it running).
      for (const pid of below) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
  }, 120_000);
});
