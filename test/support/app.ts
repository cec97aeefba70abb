import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type Auth, createAuth } from '../../src/auth/runtime.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { createDb, type Db } from '../../src/db/client.ts';
import { Metrics } from '../../src/http/metrics.ts';
import { createLogger } from '../../src/logger.ts';
import { createServer, type Server } from '../../src/server.ts';
import { ensureFirstAdministrator } from '../../src/users/bootstrap.ts';
import { migratedDatabase, type TestDatabase } from './databases.ts';

export const adminUserName = 'root.admin';
export const adminPassword = 'correct horse battery staple';

export interface TestApp {
  server: Server;
  db: Db;
  config: Config;
  auth: Auth;
  database: TestDatabase;
  /** Every log line the server wrote (debug level and up). */
  logs: string[];
  /** Every SQL statement the server sent, in order; tests may clear it. */
  sql: string[];
  /** The clock the server's tokens use; tests move it. */
  clock: { now: Date };
  /** `fetch` against the in-process server (no port). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** POSTs a GraphQL operation, with a bearer token when given. */
  graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<{ status: number; headers: Headers; body: { data?: T | null; errors?: GraphQLErrorJson[] } }>;
  /** Runs a typed (generated) operation; its data is typed by the document. */
  request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
    token?: string,
  ): Promise<{ status: number; body: { data?: TResult | null; errors?: GraphQLErrorJson[] } }>;
  /** Logs in through GraphQL and answers the token. */
  login(userName: string, password: string): Promise<string>;
  /** Creates a user directly through the API as the administrator; answers its id. */
  createUser(userName: string, roles: string[], password?: string): Promise<string>;
  close(): Promise<void>;
}

export interface GraphQLErrorJson {
  message: string;
  path?: string[];
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

export const userPassword = 'a perfectly long password';

/**
 * A server on a fresh, migrated database of the provider, with a first
 * administrator, its own key file, and a movable clock.
 */
export async function startTestApp(
  provider: TestDatabase['provider'],
  env: Record<string, string> = {},
  /** Another instance on this app's database and keys (it stays the owner: closing this one keeps them). */
  sibling?: TestApp,
): Promise<TestApp> {
  const database = sibling?.database ?? (await migratedDatabase(provider));
  const dataDir = sibling ? dirname(sibling.config.auth.keyFile) : mkdtempSync(join(tmpdir(), 'grc-test-'));
  const config = loadConfig({
    DATABASE_URL: database.url,
    JWT_KEY_FILE: join(dataDir, 'jwt-keys.json'),
    ADMIN_USERNAME: adminUserName,
    ADMIN_PASSWORD: adminPassword,
    // Suites send bursts of requests with one token; the rate limit has tests of its own.
    RATE_LIMIT_PER_MINUTE: '0',
    ...env,
  });
  // Every log line is kept (at debug level) so that tests can look for secrets in them.
  const logs: string[] = [];
  const log = createLogger(env.LOG_LEVEL ?? 'debug', { write: (line: string) => void logs.push(line) });
  const sql: string[] = [];
  const { db, pool } = createDb(config.databaseUrl, { poolSize: 5, onQuery: (q) => sql.push(q) });
  const metrics = config.metricsEnabled ? new Metrics(pool) : undefined;
  await ensureFirstAdministrator(db, config.admin, log, () => {});
  const clock = { now: new Date() };
  const auth = await createAuth(config, log, db, {
    now: () => clock.now,
    onFailure: (reason) => metrics?.authFailures.inc({ reason }),
  });
  const server = createServer({ config, db, log, auth, metrics });

  const app: TestApp = {
    server,
    db,
    config,
    auth,
    database,
    sql,
    logs,
    clock,
    fetch: (path, init) => Promise.resolve(server.fetch(new Request(`http://localhost${path}`, init))),
    async graphql(query, variables, token) {
      const response = await app.fetch('/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, headers: response.headers, body: await response.json() };
    },
    request(document, variables, token) {
      return app.graphql(print(document), variables as Record<string, unknown>, token);
    },
    async login(userName, password) {
      const { body } = await app.graphql<{ login: { token: string } }>(
        'mutation ($u: String!, $p: String!) { login(userName: $u, password: $p) { token } }',
        { u: userName, p: password },
      );
      if (!body.data?.login) throw new Error(`login failed: ${JSON.stringify(body.errors)}`);
      return body.data.login.token;
    },
    async createUser(userName, roles, password = userPassword) {
      const admin = await app.login(adminUserName, adminPassword);
      const { body } = await app.graphql<{ createUser: { id: string } }>(
        'mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }',
        { input: { userName, password, roles } },
        admin,
      );
      if (!body.data?.createUser) throw new Error(`createUser failed: ${JSON.stringify(body.errors)}`);
      return body.data.createUser.id;
    },
    async close() {
      await server.dispose();
      await auth.stop();
      await db.$disconnect();
      if (!sibling) await database.drop();
    },
  };
  return app;
}
