import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** The Redis tests share (never stopped or reconfigured by a test: each uses keys under a prefix of its own). */
export const sharedRedisUrl = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1500,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function sharedRedisReachable(): Promise<boolean> {
  if (await answers(sharedRedisUrl)) return true;
  if (process.env.CI === 'true') throw new Error(`Redis is required in CI but not reachable at ${sharedRedisUrl}`);
  process.stderr.write(
    `\nRedis not reachable at ${sharedRedisUrl}: shared-limits tests are SKIPPED (set TEST_REDIS_URL).\n\n`,
  );
  return false;
}

/** Whether the shared Redis answers (always in CI: a missing one fails there). */
export const redisAvailable = await sharedRedisReachable();

function redisServerInstalled(): boolean {
  if (spawnSync('redis-server', ['--version']).status === 0) return true;
  if (process.env.CI === 'true')
    throw new Error('redis-server is required in CI (for private Redis servers) but not on the PATH');
  process.stderr.write('\nredis-server not on the PATH: tests that stop Redis mid-test are SKIPPED.\n\n');
  return false;
}

/** Whether tests may start a Redis of their own (`startPrivateRedis`): redis-server is installed (always in CI). */
export const privateRedisAvailable = redisAvailable && redisServerInstalled();

/** A key prefix no other test run uses; `dropKeys` removes its keys afterwards. */
export function uniquePrefix(): string {
  return `grc-test:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under the prefix from the Redis at `url`. */
export async function dropKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Polls `condition` until it holds or the deadline passes. */
export async function waitFor(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface PrivateRedis {
  url: string;
  /** Kills the server (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open, nothing answers. */
  pause(): void;
  /** Thaws it (SIGCONT). */
  resume(): void;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

/**
 * A Redis of this test's own, on a free port, without persistence: the
 * test may stop and restart it. The shared one is never touched.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'grc-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    const process = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    );
    child = process;
    const exited = new Promise<never>((_, reject) => {
      process.once('error', reject);
      process.once('exit', (code) => reject(new Error(`redis-server on port ${port} exited (${code})`)));
    });
    const up = waitFor(() => answers(url), `redis-server on port ${port}`);
    await Promise.race([up, exited]);
    exited.catch(() => {});
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    running.kill('SIGCONT');
    await exited;
  };
  await start();
  return {
    url,
    stop,
    start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
