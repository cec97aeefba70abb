import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase, testProviders } from './support/databases.ts';
import { killAll, type ServerProcess, serverWithPreload, startServerProcess } from './support/process.ts';
import { dropKeys, redisAvailable, sharedRedisUrl, uniquePrefix } from './support/redis.ts';

afterAll(killAll);

const probe = fileURLToPath(new URL('./support/prototype-probe.mjs', import.meta.url));

/** Each setting: the provider, and whether limits are shared through Redis (where it answers). */
const settings = testProviders.flatMap((provider) => [
  { provider, redis: false },
  ...(redisAvailable ? [{ provider, redis: true }] : []),
]);

/**
 * ioredis, which the server loads whether or not Redis is configured, puts String.prototype in
 * V8's dictionary mode (`class … extends String`); every string method that optimised code
 * calls then costs a generic property load (src/fast-prototypes.ts). The probe asks V8 itself,
 * in the server's own process, once the server has answered requests and stopped.
 */
describe.each(settings)(
  'primitive prototypes in the server process ($provider, Redis: $redis)',
  ({ provider, redis }) => {
    let database: TestDatabase | undefined;
    let server: ServerProcess | undefined;
    const prefix = uniquePrefix();
    afterEach(async () => {
      await server?.stop();
      await database?.drop();
      if (redis) await dropKeys(sharedRedisUrl, prefix);
    });

    it('keep fast properties once every module is loaded and requests have run', async () => {
      database = await freshDatabase(provider);
      server = await startServerProcess(
        {
          DATABASE_URL: database.url,
          ADMIN_USERNAME: 'probe.admin',
          ADMIN_PASSWORD: 'a probe admin password',
          ...(redis ? { REDIS_URL: sharedRedisUrl, REDIS_KEY_PREFIX: prefix } : {}),
        },
        30_000,
        true,
        undefined,
        serverWithPreload(probe),
      );
      const login = await fetch(`${server.url}/api/authentication/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userName: 'probe.admin', password: 'a probe admin password' }),
      });
      expect(login.status).toBe(200);
      const token = ((await login.json()) as { auth_token: string }).auth_token;
      for (let i = 0; i < 20; i++) {
        const response = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(i % 2 ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query: i % 2 ? '{ me { userName } }' : '{ version }' }),
        });
        expect(response.status).toBe(200);
      }
      expect(await server.stop()).toBe(0);
      for (const type of ['String', 'Number', 'Boolean', 'Symbol', 'BigInt'])
        expect(server.stderr()).toContain(`${type}.prototype has fast properties: true`);
    });
  },
);
