import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A PostgreSQL cluster of the test's own (initdb under a temporary folder,
 * its own port), so that a test may kill or freeze it without touching the
 * shared server. As root (CI), it runs as the `postgres` user, since
 * PostgreSQL refuses to run as root.
 */
export interface PrivateCluster {
  port: number;
  /** A URL of a database on it (created by `createDatabase`). */
  urlOf(database: string): string;
  createDatabase(name: string): Promise<string>;
  /** SIGSTOP every process of the cluster (the postmaster and its children). */
  freeze(): void;
  /** SIGCONT every process frozen by `freeze`. */
  thaw(): void;
  /** SIGKILL every process of the cluster and wait until the port is free. */
  kill(): Promise<void>;
  /** Starts it again on the same folder and port (after `kill`: crash recovery). */
  start(): Promise<void>;
  /** Stops it for good and removes its folder. */
  destroy(): Promise<void>;
}

const binDir = (() => {
  for (const version of ['17', '16', '15', '14']) {
    const dir = `/usr/lib/postgresql/${version}/bin`;
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  return undefined;
})();

/** Why a private cluster cannot be made here, or undefined when it can. */
export const privateClusterUnavailable: string | undefined = binDir
  ? undefined
  : 'no PostgreSQL server binaries (initdb, postgres) under /usr/lib/postgresql/*/bin';

const asRoot = process.getuid?.() === 0;

function command(file: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`private PostgreSQL: ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The postmaster's pid, from postmaster.pid (undefined when the cluster is not running). */
function postmasterOf(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  return Number(readFileSync(file, 'utf8').split('\n')[0]) || undefined;
}

/** A process's state letter and parent, from `/proc` (undefined when it is gone). */
function statOf(pid: number): { state: string; parent: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (command) state ppid …`: the command may hold spaces and parentheses.
    const [state = '', parent = '0'] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, parent: Number(parent) };
  } catch {
    return undefined;
  }
}

/**
 * The children of a process, read from `/proc`: no `pgrep` to spawn, whose failure (a spawn can
 * fail under load) used to read as "no children" and freeze the postmaster alone.
 */
function childrenOf(parent: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => statOf(pid)?.parent === parent);
}

/** The pids of the cluster's processes: the postmaster and its children. */
function pidsOf(dataDir: string): number[] {
  const postmaster = postmasterOf(dataDir);
  return postmaster ? [postmaster, ...childrenOf(postmaster)] : [];
}

/** Waits, without yielding, until `done` holds; throws `message()` after `ms`. */
function waitSync(done: () => boolean, ms: number, message: () => string): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (const end = Date.now() + ms; !done(); ) {
    if (Date.now() > end) throw new Error(message());
    Atomics.wait(sleeper, 0, 0, 5);
  }
}

function signal(pids: number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // Gone already.
    }
  }
}

/** Makes and starts a private cluster (fsync off: the tests kill processes, not the machine). */
export async function startPrivateCluster(): Promise<PrivateCluster> {
  if (!binDir) throw new Error(privateClusterUnavailable);
  const bin = binDir;
  const root = mkdtempSync(join(tmpdir(), 'grc-pg-'));
  const dataDir = join(root, 'data');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
  }
  const [initdb, initArgs] = command(join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  execFileSync(initdb, initArgs, { stdio: 'ignore' });
  const port = await freePort();
  let child: ChildProcess | undefined;
  let frozen: number[] = [];

  const adminUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const reachable = async () => {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  };

  const start = async () => {
    const [postgres, args] = command(join(bin, 'postgres'), [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      root,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=50',
    ]);
    const logFd = openSync(join(root, 'postgres.log'), 'a');
    child = spawn(postgres, args, { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    await until(reachable, 60_000, 'did not accept connections').catch((error: Error) => {
      throw new Error(`${error.message}\n${readFileSync(join(root, 'postgres.log'), 'utf8').slice(-2000)}`);
    });
  };

  const kill = async () => {
    signal(pidsOf(dataDir), 'SIGKILL');
    child?.kill('SIGKILL');
    await until(() => pidsOf(dataDir).every((pid) => !alive(pid)), 30_000, 'processes did not die');
    await until(async () => !(await reachable()), 30_000, 'still answering after SIGKILL');
  };

  await start();
  return {
    port,
    urlOf: (database) => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgresql://postgres@127.0.0.1:${port}/${name}`;
    },
    freeze() {
      // The postmaster first: stopped, it forks no new backend, so its children are then all there are.
      const postmaster = postmasterOf(dataDir);
      if (!postmaster) throw new Error('no postmaster to freeze');
      signal([postmaster], 'SIGSTOP');
      frozen = [postmaster, ...childrenOf(postmaster)];
      signal(frozen, 'SIGSTOP');
      // Every one of them stopped (state T) or gone: else the test would run against a database that still answers.
      waitSync(
        () => frozen.every((pid) => [undefined, 'T', 'Z', 'X'].includes(statOf(pid)?.state)),
        5000,
        () => `the cluster did not freeze: ${frozen.map((pid) => `${pid} ${statOf(pid)?.state}`).join(', ')}`,
      );
    },
    thaw() {
      signal(frozen, 'SIGCONT');
      frozen = [];
    },
    kill,
    start,
    async destroy() {
      signal(frozen, 'SIGCONT');
      await kill().catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
