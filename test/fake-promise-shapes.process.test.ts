import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase, testProviders } from './support/databases.ts';
import { killAll, type ServerProcess, serverWithPreload, startServerProcess } from './support/process.ts';

afterAll(killAll);

const probe = fileURLToPath(new URL('./support/fake-promise-probe.mjs', import.meta.url));

/**
 * The fake promises of @whatwg-node/promise-helpers, built a few dozen times a request, have
 * hidden classes that only short-lived objects hold; a memory-reducing collection lets them die
 * and leaves the code that builds them slow for good (src/fake-promise-shapes.ts). The server
 * keeps one of each; the probe asks V8, in the server's own process, once requests of every kind
 * have run (answers, GraphQL errors, REST, a refused token, a missing route), whether each kept
 * object still has the map the library gives that kind of fake promise, for both copies of the
 * package the server loads (its ES module and its CommonJS build).
 */
describe.each(testProviders)('fake promise shapes in the server process (%s)', (provider) => {
  let database: TestDatabase | undefined;
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('keeps one object of each shape, with the maps the library builds after requests of every kind', async () => {
    database = await freshDatabase(provider);
    server = await startServerProcess(
      { DATABASE_URL: database.url, ADMIN_USERNAME: 'probe.admin', ADMIN_PASSWORD: 'a probe admin password' },
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
    const graphql = (query: string, authorization?: string) =>
      fetch(`${server?.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ query }),
      });
    for (let i = 0; i < 10; i++) {
      expect((await graphql('{ version }')).status).toBe(200);
      expect((await graphql('{ me { userName roles } }', `Bearer ${token}`)).status).toBe(200);
      expect((await graphql('{ issues(first: 5) { edges { node { id } } } }', `Bearer ${token}`)).status).toBe(200);
      // A GraphQL error, a refused token, a REST list and a missing route.
      expect((await (await graphql('{ me { userName } }')).json()).errors?.[0]?.extensions?.code).toBe(
        'UNAUTHENTICATED',
      );
      expect((await graphql('{ version }', 'Bearer not.a.token')).status).toBe(401);
      const rest = await fetch(`${server.url}/api/issues/getAll`, { headers: { authorization: `Bearer ${token}` } });
      expect(rest.status).toBe(200);
      await rest.arrayBuffer();
      expect((await fetch(`${server.url}/no-such-route`)).status).toBe(404);
    }
    expect(await server.stop()).toBe(0);
    expect(server.stderr()).toContain('fake promises kept: 6');
    for (let i = 0; i < 6; i++)
      expect(server.stderr()).toContain(`fake promise ${i} kept with the library's map: true`);
  });
});
