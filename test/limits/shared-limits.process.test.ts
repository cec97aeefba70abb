import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase, testProviders } from '../support/databases.ts';
import { killAll, type ServerProcess, startServerProcess } from '../support/process.ts';
import {
  type PrivateRedis,
  privateRedisAvailable,
  startPrivateRedis,
  uniquePrefix,
  waitFor,
} from '../support/redis.ts';

const budget = 20;
/** A bucket of 20 a minute gains a token every 3 s: what a slow run may legitimately add. */
const refillMs = 60_000 / budget;
const admin = { ADMIN_USERNAME: 'limits.admin', ADMIN_PASSWORD: 'limits admin password' };

/** One request from `address` (TRUST_PROXY=true): its status. */
async function send(server: ServerProcess, address: string, path: string, body?: unknown): Promise<number> {
  const response = await fetch(`${server.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await response.arrayBuffer();
  return response.status;
}

const limitsOf = async (server: ServerProcess) => {
  const response = await fetch(`${server.url}/readyz`);
  return { status: response.status, limits: (await response.json()).limits };
};

describe.runIf(privateRedisAvailable).each(testProviders)('two server processes on one Redis, on %s', (provider) => {
  let database: TestDatabase;
  let redis: PrivateRedis;
  let keyDir: string;
  let servers: ServerProcess[];

  beforeAll(async () => {
    database = await freshDatabase(provider);
    redis = await startPrivateRedis();
    keyDir = mkdtempSync(join(tmpdir(), 'grc-limits-'));
    const env = {
      DATABASE_URL: database.url,
      JWT_KEY_FILE: join(keyDir, 'jwt-keys.json'),
      ...admin,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: uniquePrefix(),
      RATE_LIMIT_PER_MINUTE: String(budget),
      LOGIN_LOCKOUT_THRESHOLD: '3',
      TRUST_PROXY: 'true',
      SHUTDOWN_DRAIN_MS: '0',
    };
    // One after the other: the first migrates the database and makes the keys.
    const first = await startServerProcess(env);
    servers = [first, await startServerProcess(env)];
  }, 120_000);
  afterAll(async () => {
    await killAll();
    await redis?.close();
    await database?.drop();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  it('share the budget and the lockout; keep serving while Redis is down; share again once it is back', async () => {
    for (const server of servers)
      expect(await limitsOf(server)).toEqual({ status: 200, limits: { store: 'redis', state: 'shared' } });

    // A budget of 20 a minute, talking to each process in turn.
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++)
      statuses.push(await send(servers[i % 2] as ServerProcess, '203.0.113.1', '/api/issues/getAll'));
    const passed = statuses.filter((s) => s !== 429).length;
    expect(passed).toBeGreaterThanOrEqual(budget);
    expect(passed).toBeLessThanOrEqual(budget + Math.floor((Date.now() - started) / refillMs) + 1);

    // A lockout threshold of 3: 3 failures in total, from one address, to each process in turn.
    const logins: number[] = [];
    for (let i = 0; i < 6; i++) {
      logins.push(
        await send(servers[i % 2] as ServerProcess, '203.0.113.2', '/api/authentication/login', {
          userName: admin.ADMIN_USERNAME,
          password: 'wrong guess',
        }),
      );
    }
    expect(logins).toEqual([401, 401, 401, 429, 429, 429]);

    await redis.stop();
    const during: number[] = [];
    for (let i = 0; i < 10; i++)
      during.push(await send(servers[i % 2] as ServerProcess, '203.0.113.3', '/api/issues/getAll'));
    expect(during.every((s) => s === 401)).toBe(true); // answered (no token), never a 5xx
    for (const server of servers) {
      await waitFor(async () => (await limitsOf(server)).limits.state === 'fallback', 'the fallback in /readyz');
      expect(await limitsOf(server)).toEqual({ status: 200, limits: { store: 'redis', state: 'fallback' } });
    }

    await redis.start();
    for (const server of servers) {
      await waitFor(async () => (await limitsOf(server)).limits.state === 'shared', 'shared limits again');
    }
    const again: number[] = [];
    const restarted = Date.now();
    for (let i = 0; i < 60; i++)
      again.push(await send(servers[i % 2] as ServerProcess, '203.0.113.4', '/api/issues/getAll'));
    const passedAgain = again.filter((s) => s !== 429).length;
    expect(passedAgain).toBeGreaterThanOrEqual(budget);
    expect(passedAgain).toBeLessThanOrEqual(budget + Math.floor((Date.now() - restarted) / refillMs) + 1);

    for (const server of servers) {
      const lines = server.logLines();
      expect(lines.filter((l) => String(l.msg).startsWith('Redis does not answer'))).toHaveLength(1);
      expect(lines.filter((l) => l.msg === 'limits shared through Redis')).toHaveLength(2);
      expect(lines.filter((l) => l.msg === 'unexpected error')).toEqual([]);
    }
  });

  it('stops cleanly (exit 0) while Redis is down', async () => {
    await redis.stop();
    for (const server of servers)
      await waitFor(async () => (await limitsOf(server)).limits.state === 'fallback', 'the fallback');
    for (const server of servers) expect(await server.stop('SIGTERM', 20_000)).toBe(0);
  });
});
