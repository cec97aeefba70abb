import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase, testProviders } from '../support/databases.ts';
import { killAll, type ServerProcess, startServerProcess } from '../support/process.ts';

const admin = { ADMIN_USERNAME: 'proxy.admin', ADMIN_PASSWORD: 'an initial admin password' };

afterAll(killAll);

// In-process requests have no socket: whose X-Forwarded-For is believed needs a real connection.
describe.each(testProviders)('TRUST_PROXY with a list of proxies on %s', (provider) => {
  const databases: TestDatabase[] = [];
  const servers: ServerProcess[] = [];
  const start = async (env: Record<string, string>) => {
    const database = await freshDatabase(provider);
    databases.push(database);
    const server = await startServerProcess({ DATABASE_URL: database.url, ...admin, ...env });
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
    await Promise.all(databases.splice(0).map((d) => d.drop()));
  });

  const login = (server: ServerProcess, password: string, forwardedFor: string) =>
    fetch(`${server.url}/api/authentication/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ userName: admin.ADMIN_USERNAME, password }),
    });

  /** The client address the server recorded for each successful login, oldest first. */
  async function loginAddresses(server: ServerProcess, token: string): Promise<string[]> {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: '{ auditEvents(filter: { action: "auth.login.succeeded" }) { nodes { clientAddress } } }',
      }),
    });
    const { data } = await response.json();
    return data.auditEvents.nodes.map((n: { clientAddress: string }) => n.clientAddress).reverse();
  }

  it('believes X-Forwarded-For from a listed proxy, walking past listed hops', async () => {
    // The test connects from 127.0.0.1: the proxy in front. 10.0.0.0/8 stands for inner proxies.
    const server = await start({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' });
    const response = await login(server, admin.ADMIN_PASSWORD, '6.6.6.6, 203.0.113.9, 10.1.1.1');
    expect(response.status).toBe(200);
    const { auth_token: token } = await response.json();
    expect(await loginAddresses(server, token)).toEqual(['203.0.113.9']);
  });

  it('ignores X-Forwarded-For from anyone else: the socket address counts, rotating it escapes no lockout', async () => {
    const server = await start({ TRUST_PROXY: '10.0.0.0/8', LOGIN_LOCKOUT_THRESHOLD: '2' });
    const response = await login(server, admin.ADMIN_PASSWORD, '203.0.113.9');
    const { auth_token: token } = await response.json();
    expect(await loginAddresses(server, token)).toEqual(['127.0.0.1']);
    for (const forged of ['203.0.113.1', '203.0.113.2']) {
      expect((await login(server, 'wrong password!', forged)).status).toBe(401);
    }
    const refused = await login(server, admin.ADMIN_PASSWORD, '203.0.113.3');
    expect(refused.status).toBe(429);
    expect((await refused.json()).error.code).toBe('RATE_LIMITED');
  });
});
