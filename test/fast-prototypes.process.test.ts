import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase, testProviders } from './support/databases.ts';
import { killAll, type ServerProcess, serverWithPreload, startServerProcess } from './support/process.ts';

afterAll(killAll);

const probe = fileURLToPath(new URL('./support/string-prototype-probe.mjs', import.meta.url));

/**
 * ioredis, which the server loads for shared limits whether or not Redis is configured, puts
 * String.prototype in V8's dictionary mode (`class … extends String`); every string method
 * that optimised code calls then costs a generic property load (src/fast-prototypes.ts). The
 * probe asks V8 itself, in the server's own process, after it has answered requests.
 */
describe.each(testProviders)('String.prototype in the server process (%s)', (provider) => {
  let database: TestDatabase | undefined;
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('keeps fast properties once every module is loaded and requests have run', async () => {
    database = await freshDatabase(provider);
    server = await startServerProcess(
      { DATABASE_URL: database.url, ADMIN_USERNAME: 'probe.admin', ADMIN_PASSWORD: 'a probe admin password' },
      30_000,
      true,
      undefined,
      serverWithPreload(probe),
    );
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ version }' }),
      });
      expect(response.status).toBe(200);
    }
    expect(await server.stop()).toBe(0);
    expect(server.stderr()).toContain('String.prototype has fast properties: true');
  });
});
