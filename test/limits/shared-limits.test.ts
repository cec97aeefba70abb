import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';
import {
  dropKeys,
  type PrivateRedis,
  privateRedisAvailable,
  redisAvailable,
  sharedRedisUrl,
  startPrivateRedis,
  uniquePrefix,
  waitFor,
} from '../support/redis.ts';

const budget = 20;
/** A bucket of 20 a minute gains a token every 3 s: what a slow run may legitimately add. */
const refillMs = 60_000 / budget;

/** Two instances of one deployment: one database and keys, one Redis and key prefix. */
async function startPair(provider: TestApp['database']['provider'], env: Record<string, string>) {
  const a = await startTestApp(provider, env);
  const b = await startTestApp(provider, env, a);
  const close = async () => {
    await b.close();
    await a.close();
  };
  return { a, b, close };
}

/** The address every burst speaks from (TRUST_PROXY=true), apart from the probes and metrics scrapes. */
const versionQuery = {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-graphql-yoga-csrf': '1', 'x-forwarded-for': '203.0.113.10' },
  body: JSON.stringify({ query: '{ version }' }),
};

/** Sends `count` anonymous requests from one address, to each instance in turn; answers the statuses, per instance. */
async function burst(instances: TestApp[], count: number) {
  const statuses: number[][] = instances.map(() => []);
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const index = i % instances.length;
    const response = await (instances[index] as TestApp).fetch('/graphql', versionQuery);
    const body = await response.json();
    if (response.status === 429) {
      expect(body.errors[0].extensions.code).toBe('RATE_LIMITED');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    statuses[index]?.push(response.status);
  }
  const passed = statuses.flat().filter((s) => s === 200).length;
  // The most a token bucket of `budget` may let through while the burst lasted.
  const allowance = budget + Math.floor((Date.now() - started) / refillMs) + 1;
  return { statuses, passed, allowance };
}

async function readiness(app: TestApp) {
  const response = await app.fetch('/readyz');
  return { status: response.status, body: await response.json() };
}

async function limitsMetric(app: TestApp): Promise<string> {
  const text = await (await app.fetch('/metrics')).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('grc_limits_state{'))
    .sort()
    .join('\n');
}

const logged = (app: TestApp, message: string) => app.logs.filter((line) => line.includes(message)).length;

describe.skipIf(!redisAvailable).each(testProviders)('limits shared through Redis on %s', (provider) => {
  describe('two instances on one Redis', () => {
    const prefix = uniquePrefix();
    let pair: Awaited<ReturnType<typeof startPair>>;

    beforeAll(async () => {
      pair = await startPair(provider, {
        REDIS_URL: sharedRedisUrl,
        REDIS_KEY_PREFIX: prefix,
        RATE_LIMIT_PER_MINUTE: String(budget),
        TRUST_PROXY: 'true',
        LOGIN_LOCKOUT_THRESHOLD: '3',
        METRICS_ENABLED: 'true',
      });
    });
    afterAll(async () => {
      await pair?.close();
      await dropKeys(sharedRedisUrl, prefix);
    });

    it('say in /readyz and the metrics that limits are shared', async () => {
      for (const app of [pair.a, pair.b]) {
        const { status, body } = await readiness(app);
        expect(status).toBe(200);
        expect(body.limits).toEqual({ store: 'redis', state: 'shared' });
        expect(await limitsMetric(app)).toBe(
          [
            'grc_limits_state{store="redis",state="fallback"} 0',
            'grc_limits_state{store="redis",state="shared"} 1',
          ].join('\n'),
        );
      }
    });

    it('let a budget of 20 a minute through once, not once per instance', async () => {
      const { statuses, passed, allowance } = await burst([pair.a, pair.b], 60);
      expect(passed).toBeGreaterThanOrEqual(budget);
      expect(passed).toBeLessThanOrEqual(allowance);
      expect(statuses.flat().every((s) => s === 200 || s === 429)).toBe(true);
      // Both instances answered, and both refused once the shared budget was spent.
      for (const own of statuses) expect(own).toContain(429);
    });
  });

  describe('the login lockout across two instances', () => {
    const prefix = uniquePrefix();
    let pair: Awaited<ReturnType<typeof startPair>>;

    beforeAll(async () => {
      pair = await startPair(provider, {
        REDIS_URL: sharedRedisUrl,
        REDIS_KEY_PREFIX: prefix,
        RATE_LIMIT_PER_MINUTE: '0',
        LOGIN_LOCKOUT_THRESHOLD: '3',
      });
      await pair.a.createUser('victim', ['AUDITOR']);
    });
    afterAll(async () => {
      await pair?.close();
      await dropKeys(sharedRedisUrl, prefix);
    });

    it('allow 3 failures in total, then refuse on both, the right password too', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const app = i % 2 === 0 ? pair.a : pair.b;
        const response = await app.fetch('/api/authentication/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userName: 'victim', password: 'wrong guess' }),
        });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
      for (const app of [pair.a, pair.b]) {
        const right = await app.fetch('/api/authentication/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userName: 'victim', password: userPassword }),
        });
        expect(right.status).toBe(429);
        expect((await right.json()).error.code).toBe('RATE_LIMITED');
      }
    });
  });

  describe.runIf(privateRedisAvailable)('Redis stopped and back', () => {
    const prefix = uniquePrefix();
    let redis: PrivateRedis;
    let pair: Awaited<ReturnType<typeof startPair>>;

    beforeAll(async () => {
      redis = await startPrivateRedis();
      pair = await startPair(provider, {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: prefix,
        RATE_LIMIT_PER_MINUTE: String(budget),
        TRUST_PROXY: 'true',
        METRICS_ENABLED: 'true',
      });
    });
    afterAll(async () => {
      await pair?.close();
      await redis?.close();
    });

    it('keep serving with limits per instance, say so, and share them again when Redis returns', async () => {
      const instances = [pair.a, pair.b];
      for (const app of instances) expect((await readiness(app)).body.limits.state).toBe('shared');

      await redis.stop();
      // No 5xx, no hang: every answer is a 200 or a 429 while Redis is gone.
      const during = await burst(instances, 10);
      expect(during.statuses.flat().every((s) => s === 200 || s === 429)).toBe(true);
      for (const app of instances) {
        await waitFor(async () => (await readiness(app)).body.limits.state === 'fallback', 'the fallback in /readyz');
        const { status, body } = await readiness(app);
        // Still ready: the server serves, with limits counted in its own memory.
        expect(status).toBe(200);
        expect(body).toMatchObject({ status: 'ready', limits: { store: 'redis', state: 'fallback' } });
        expect(await limitsMetric(app)).toBe(
          [
            'grc_limits_state{store="redis",state="fallback"} 1',
            'grc_limits_state{store="redis",state="shared"} 0',
          ].join('\n'),
        );
      }
      // Each instance counts on its own now: each lets a whole budget through (its clock stands still).
      for (const [index, app] of instances.entries()) {
        const own = await burst([app], budget);
        const passedBefore = during.statuses[index]?.filter((s) => s === 200).length ?? 0;
        expect(passedBefore + own.passed).toBe(budget);
        expect(own.statuses[0]?.at(-1)).toBe(429);
      }
      // Said once, not once per request or reconnection attempt.
      for (const app of instances) expect(logged(app, 'Redis does not answer')).toBe(1);

      await redis.start();
      for (const app of instances) {
        await waitFor(async () => (await readiness(app)).body.limits.state === 'shared', 'shared limits again');
        expect(await limitsMetric(app)).toContain('grc_limits_state{store="redis",state="shared"} 1');
      }
      // The budget is one again, across both (the restarted Redis starts empty: a full bucket).
      const shared = await burst(instances, 60);
      expect(shared.passed).toBeGreaterThanOrEqual(budget);
      expect(shared.passed).toBeLessThanOrEqual(shared.allowance);
      expect(shared.statuses.flat().every((s) => s === 200 || s === 429)).toBe(true);
      for (const app of instances) expect(logged(app, 'limits shared through Redis')).toBe(2);
    });

    it('count in memory while Redis stalls (answers nothing, connections open), and share again when it thaws', async () => {
      const instances = [pair.a, pair.b];
      for (const app of instances) {
        await waitFor(async () => (await readiness(app)).body.limits.state === 'shared', 'shared limits');
      }
      redis.pause();
      try {
        // Each request waits at most REDIS_TIMEOUT_MS for Redis, then counts in memory: never a 5xx.
        const stalled = await burst(instances, 6);
        expect(stalled.statuses.flat().every((s) => s === 200 || s === 429)).toBe(true);
        for (const app of instances) {
          const { status, body } = await readiness(app);
          expect(status).toBe(200);
          expect(body.limits).toEqual({ store: 'redis', state: 'fallback' });
        }
      } finally {
        redis.resume();
      }
      for (const app of instances) {
        // Within a second a request tries Redis again: it answers, and the limits are shared again.
        await waitFor(async () => {
          await app.fetch('/graphql', versionQuery);
          return (await readiness(app)).body.limits.state === 'shared';
        }, 'shared limits after the stall');
      }
    });
  });
});
