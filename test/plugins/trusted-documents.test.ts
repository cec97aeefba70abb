import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as exampleDocuments from '../../examples/typescript/generated/operations.ts';
import { documentHash, loadManifest } from '../../src/plugins/trusted-documents.ts';
import * as typedDocuments from '../generated/operations.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const manifest = loadManifest();
const trustCodes = ['QUERY_NOT_IN_SAFELIST', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_IN_LIST'];

/** Every generated typed document (the typed client's), by export name. */
const generated = Object.entries({ ...typedDocuments, ...exampleDocuments } as Record<string, unknown>).filter(
  (entry): entry is [string, TypedDocumentNode<Record<string, unknown>, Record<string, unknown>>] =>
    entry[0].endsWith('Document') && (entry[1] as DocumentNode | undefined)?.kind === 'Document',
);

type Json = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };

/** POSTs a JSON body to /graphql as it is. */
async function post(app: TestApp, body: object, token?: string) {
  const response = await app.fetch('/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
}

function hashOf(name: string): string {
  const entry = [...manifest].find(([, text]) => new RegExp(`^(query|mutation) ${name}\\b`).test(text));
  if (!entry) throw new Error(`no trusted document named ${name}`);
  return entry[0];
}

describe('the trusted documents manifest', () => {
  it('holds every typed client document, hashed as the client prints it', () => {
    expect(generated.length).toBeGreaterThanOrEqual(8);
    for (const [name, document] of generated) {
      const text = print(document);
      expect({ name, listed: manifest.get(documentHash(text)) === text }).toEqual({ name, listed: true });
    }
  });

  it('holds every console operation, and the console calls the API only by their names', async () => {
    const { operations } = (await import('../../src/admin/public/operations.js' as string)) as {
      operations: Record<string, string>;
    };
    for (const [name, text] of Object.entries(operations)) {
      expect({ name, listed: manifest.get(documentHash(text)) === text }).toEqual({ name, listed: true });
    }
    // A literal first argument of graphql(…) anywhere in the console must be an operation's name.
    const folder = new URL('../../src/admin/public/', import.meta.url);
    const called = readdirSync(folder)
      .filter((f) => f.endsWith('.js') && f !== 'operations.js')
      .flatMap((f) =>
        [...readFileSync(new URL(f, folder), 'utf8').matchAll(/\bgraphql\(\s*(['"`])((?:(?!\1)[^\\]|\\.)*)\1/g)].map(
          (m) => ({ file: f, operation: m[2] ?? '' }),
        ),
      );
    expect(called.length).toBeGreaterThan(5);
    expect(called.filter(({ operation }) => !Object.hasOwn(operations, operation))).toEqual([]);
  });

  it('is SHA-256 of the exact text, as GraphQL-over-HTTP’s example says', () => {
    expect(documentHash('query ($id: ID!) {\n  user(id: $id) {\n    name\n  }\n}')).toBe(
      '7dba4bd717b41f10434822356a93c32b1fb4907b983e854300ad839f84cdcd6e',
    );
  });
});

describe.each(testProviders)('TRUSTED_DOCUMENTS on %s', (provider) => {
  const me = () => hashOf('Me');
  const meText = () => manifest.get(me()) as string;

  describe('off (the default)', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp(provider);
    });
    afterAll(() => app.close());

    it('runs ad-hoc queries and knows no hashes, as before', async () => {
      const token = await app.login(adminUserName, adminPassword);
      expect((await post(app, { query: '{ me { userName } }' }, token)).body.data).toEqual({
        me: { userName: adminUserName },
      });
      const apq = await post(app, { extensions: { persistedQuery: { version: 1, sha256Hash: me() } } }, token);
      expect(apq.status).toBe(400);
      expect(apq.body.errors?.[0]?.message).toMatch(/Must provide query string/);
      const byId = await post(app, { documentId: `sha256:${me()}` }, token);
      expect(byId.status).toBe(400);
      expect(byId.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    });
  });

  describe('allow', () => {
    let app: TestApp;
    let token = '';
    beforeAll(async () => {
      app = await startTestApp(provider, { TRUSTED_DOCUMENTS: 'allow' });
      token = await app.login(adminUserName, adminPassword);
    });
    afterAll(() => app.close());

    it('runs a listed document by documentId (sha256: or bare) and by APQ hash, over POST and GET', async () => {
      const expected = { me: { kind: 'USER', userName: adminUserName, roles: ['ADMINISTRATOR'] } };
      for (const body of [
        { documentId: `sha256:${me()}` },
        { documentId: me() },
        { extensions: { persistedQuery: { version: 1, sha256Hash: me() } } },
        { query: meText(), extensions: { persistedQuery: { version: 1, sha256Hash: me() } } },
      ]) {
        const { status, body: answer } = await post(app, body, token);
        expect({ body, status }).toEqual({ body, status: 200 });
        expect(answer.data).toMatchObject(expected);
      }
      const get = await app.fetch(`/graphql?documentId=sha256:${me()}`, {
        headers: { accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
      });
      expect(get.status).toBe(200);
      expect(((await get.json()) as Json).data).toMatchObject(expected);
      const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: me() } });
      const apqGet = await app.fetch(`/graphql?extensions=${encodeURIComponent(extensions)}`, {
        headers: { accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
      });
      expect(((await apqGet.json()) as Json).data).toMatchObject(expected);
    });

    it('passes variables and the operation name with a hash; refuses a mutation by GET (405)', async () => {
      const page = await post(app, { documentId: `sha256:${hashOf('IssuePage')}`, variables: { first: 1 } }, token);
      expect(page.status).toBe(200);
      expect(page.body.data?.issues).toMatchObject({ totalCount: 0 });
      const variables = encodeURIComponent(JSON.stringify({ id: '1' }));
      const mutation = await app.fetch(
        `/graphql?documentId=sha256:${hashOf('ConsoleRevokeSession')}&variables=${variables}`,
        { headers: { accept: 'application/graphql-response+json', authorization: `Bearer ${token}` } },
      );
      expect(mutation.status).toBe(405);
    });

    it('still runs ad-hoc text; an unknown hash is APQ’s PERSISTED_QUERY_NOT_FOUND (404, not cached)', async () => {
      expect((await post(app, { query: '{ me { userName } }' }, token)).body.data).toEqual({
        me: { userName: adminUserName },
      });
      const unknown = await post(app, { extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } });
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('cache-control')).toBe('no-store');
      expect(unknown.body.errors).toEqual([
        {
          message: 'Persisted document not found: send the query text instead',
          extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' },
        },
      ]);
      // An APQ client then sends the text with the hash: it runs (and is not stored).
      const text = '{ me { userName } }';
      const retry = await post(
        app,
        { query: text, extensions: { persistedQuery: { version: 1, sha256Hash: documentHash(text) } } },
        token,
      );
      expect(retry.body.data).toEqual({ me: { userName: adminUserName } });
      expect((await post(app, { documentId: documentHash(text) })).status).toBe(404);
    });

    it('refuses a hash that is not the text’s, and malformed ids (400 BAD_REQUEST)', async () => {
      for (const body of [
        { query: '{ me { userName } }', documentId: `sha256:${me()}` },
        { documentId: 42 },
        { extensions: { persistedQuery: { version: 2, sha256Hash: me() } } },
        { documentId: `sha256:${me()}`, extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } },
      ]) {
        const answer = await post(app, body, token);
        expect({ body, status: answer.status, code: answer.body.errors?.[0]?.extensions?.code }).toEqual({
          body,
          status: 400,
          code: 'BAD_REQUEST',
        });
        expect(answer.body.data).toBeUndefined();
      }
    });
  });

  describe('require, with VIEW_APIS=false', () => {
    let app: TestApp;
    let token = '';
    beforeAll(async () => {
      app = await startTestApp(provider, { TRUSTED_DOCUMENTS: 'require', VIEW_APIS: 'false' });
      token = await app.login(adminUserName, adminPassword).catch(() => '');
    });
    afterAll(() => app.close());

    it('refuses ad-hoc text before parsing it: QUERY_NOT_IN_SAFELIST (403), no schema hint', async () => {
      for (const query of [
        '{ me { userName } }',
        `${meText()}\n`,
        '{ __schema { types { name } } }',
        '{ usrs { id } }',
        '{ nope',
        'mutation { deleteIssue(id: "1") }',
      ]) {
        const answer = await post(app, { query });
        expect({ query, status: answer.status, body: answer.body }).toEqual({
          query,
          status: 403,
          body: {
            errors: [
              {
                message:
                  'This server runs only its trusted documents: send a listed document, by its hash or its exact text',
                extensions: { code: 'QUERY_NOT_IN_SAFELIST' },
              },
            ],
          },
        });
        expect(answer.headers.get('cache-control')).toBe('no-store');
      }
      // The test helper's own login is ad-hoc text too.
      expect(token).toBe('');
    });

    it('answers an unknown hash PERSISTED_QUERY_NOT_IN_LIST (404)', async () => {
      for (const body of [
        { documentId: `sha256:${'0'.repeat(64)}` },
        { documentId: 'x-custom:whatever' },
        { extensions: { persistedQuery: { version: 1, sha256Hash: documentHash('{ me { userName } }') } } },
      ]) {
        const answer = await post(app, body);
        expect({ body, status: answer.status, errors: answer.body.errors }).toEqual({
          body,
          status: 404,
          errors: [
            {
              message: 'Persisted document not found: this server runs only its trusted documents',
              extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' },
            },
          ],
        });
      }
    });

    it('runs the typed client’s documents, sent as the client sends them (print of the document)', async () => {
      const login = await app.request(typedDocuments.LoginDocument, {
        userName: adminUserName,
        password: adminPassword,
      });
      expect(login.status).toBe(200);
      const session = login.body.data?.login.token as string;
      expect((await app.request(typedDocuments.MeDocument, {}, session)).body.data?.me.userName).toBe(adminUserName);
      const created = await app.request(
        exampleDocuments.ExampleCreateServiceAccountDocument,
        { durationDays: 7, purpose: 'Typed client under require' },
        session,
      );
      const saToken = created.body.data?.createServiceAccount.token as string;
      const page = await app.request(exampleDocuments.ExampleOpenIssuesDocument, { first: 10, after: null }, saToken);
      expect(page.body).toEqual({ data: { issues: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } } } });
      // Every generated document passes the gate (a refusal past it, such as missing variables, is not ours).
      for (const [name, document] of generated) {
        const answer = await app.request(document, {}, session);
        const codes = (answer.body.errors ?? []).map((e) => e.extensions?.code);
        expect({ name, refused: codes.some((c) => trustCodes.includes(c ?? '')) }).toEqual({ name, refused: false });
      }
    });

    it('keeps authentication, authorization, the armor limits and discoverability for listed documents', async () => {
      const page = { first: 1, orderBy: { field: 'NAME', direction: 'ASC' } };
      const anonymous = await post(app, { documentId: `sha256:${hashOf('ConsoleServiceAccounts')}`, variables: page });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

      const admin = (
        await post(app, {
          documentId: `sha256:${hashOf('ConsoleSignIn')}`,
          variables: { userName: adminUserName, password: adminPassword },
        })
      ).body.data?.login as { token: string };
      const badFilter = await post(
        app,
        {
          documentId: `sha256:${hashOf('ConsoleServiceAccounts')}`,
          variables: { ...page, filter: { status: 'NOPE' } },
        },
        admin.token,
      );
      expect(badFilter.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(badFilter.body.errors?.[0]?.message).toBe(
        'Variable "$filter" got invalid value "NOPE" at a field; Value "NOPE" does not exist in the enum.',
      );

      const shallow = await startTestApp(provider, { TRUSTED_DOCUMENTS: 'require', GRAPHQL_MAX_DEPTH: '2' }, app);
      try {
        const deep = await post(shallow, { documentId: `sha256:${hashOf('IssuePage')}` }, admin.token);
        expect(deep.status).toBe(400);
        expect(deep.body.errors?.[0]?.message).toMatch(/Query too deep/);
      } finally {
        await shallow.close();
      }
    });

    it('leaves the REST API alone', async () => {
      const login = await app.fetch('/api/authentication/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userName: adminUserName, password: adminPassword }),
      });
      expect(login.status).toBe(200);
      const { auth_token } = (await login.json()) as { auth_token: string };
      const issues = await app.fetch('/api/issues/getAll', { headers: { authorization: `Bearer ${auth_token}` } });
      expect(issues.status).toBe(200);
      expect(await issues.json()).toEqual([]);
    });

    describe('the console, through its data.js and api.js', () => {
      type Page = {
        nodes: Record<string, unknown>[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        totalCount: number | null;
      };
      type Api = {
        graphql(operation: string, variables?: Record<string, unknown>): Promise<Record<string, unknown>>;
      };
      let api: Api;
      /** data.js: the functions the console's screens call, each sending named operations. */
      let data: Record<string, (...args: unknown[]) => Promise<unknown>>;
      const run = <T = unknown>(name: string, ...args: unknown[]): Promise<T> => {
        const f = data[name];
        if (!f) throw new TypeError(`data.js has no ${name}`);
        return f(...args) as Promise<T>;
      };
      let operations: Record<string, string>;
      const storage = new Map<string, string>();
      const sent: { query: string }[] = [];

      beforeAll(async () => {
        // What the browser gives api.js: session storage, location, and fetch to this origin.
        vi.stubGlobal('sessionStorage', {
          getItem: (k: string) => storage.get(k) ?? null,
          setItem: (k: string, v: string) => void storage.set(k, v),
          removeItem: (k: string) => void storage.delete(k),
        });
        vi.stubGlobal('location', { hash: '' });
        vi.stubGlobal('fetch', (path: string, init: RequestInit) => {
          sent.push(JSON.parse(String(init.body)));
          return app.fetch(path, init);
        });
        api = (await import('../../src/admin/public/api.js' as string)) as Api;
        data = (await import('../../src/admin/public/data.js' as string)) as typeof data;
        ({ operations } = (await import('../../src/admin/public/operations.js' as string)) as {
          operations: Record<string, string>;
        });
      });
      afterAll(() => vi.unstubAllGlobals());

      it('runs every operation of the console as the browser sends it', async () => {
        storage.set('grc-admin-token', await run<string>('login', adminUserName, adminPassword));
        expect(await run('viewer')).toEqual({
          userName: adminUserName,
          roles: ['ADMINISTRATOR'],
          kind: 'USER',
          grantableRoles: ['ADMINISTRATOR', 'AUDITOR'],
          serviceAccountMaxDays: 365,
        });
        const created = await run<{ serviceAccount: { id: string } }>('createServiceAccount', {
          durationDays: 30,
          purpose: 'Made by the console under require',
          roles: ['AUDITOR'],
        });
        const id = created.serviceAccount.id;
        const byName = { field: 'NAME', direction: 'ASC' };
        const listed = await run<Page>('serviceAccountsPage', {
          filter: { search: 'by the CONSOLE' },
          orderBy: byName,
        });
        expect(listed).toMatchObject({ totalCount: 1, nodes: [{ id, purpose: 'Made by the console under require' }] });
        const tokenId = listed.nodes[0]?.tokenId as string;
        // A whole token id finds its account, though the API's search reads purposes only.
        const byToken = await run<Page>('serviceAccountsPage', { filter: { search: tokenId.toUpperCase() } });
        expect(byToken.nodes.map((a) => a.id)).toEqual([id]);
        // The owner is typed as a user name.
        const owned = await run<Page>('serviceAccountsPage', { filter: { createdBy: adminUserName.toUpperCase() } });
        expect(owned.nodes.map((a) => a.id)).toContain(id);
        expect(await run('serviceAccountsPage', { filter: { createdBy: 'nobody.at.all' } })).toMatchObject({
          nodes: [],
          ownerCandidates: [],
        });
        const none = { filter: { status: 'REVOKED', role: 'AUDITOR' }, orderBy: byName };
        expect(await run('serviceAccountsPage', none)).toMatchObject({ nodes: [], totalCount: 0 });
        const rotated = await run<{ serviceAccount: { id: string } }>('rotateServiceAccount', id, 90);
        const newId = rotated.serviceAccount.id;
        expect(await run('serviceAccount', newId)).toMatchObject({ rotatedFrom: { id } });
        const trail = await run<Page>('auditEventsPage', { filter: { serviceAccountId: Number(id) } });
        expect(trail.nodes.map((e) => e.action)).toContain('service_account.rotated');
        const admins = await run<{ id: string; userName: string }[]>('administrators');
        const self = admins.find((u) => u.userName === adminUserName) as { id: string };
        await run('transferServiceAccount', newId, self.id);
        await run('revokeServiceAccount', newId);

        const user = await run<{ id: string }>('createUser', {
          userName: 'console.user',
          password: 'a long console password',
          roles: ['AUDITOR'],
        });
        const users = { filter: { search: 'console.', active: true, role: 'AUDITOR' } };
        expect(await run('usersPage', users)).toMatchObject({
          totalCount: 1,
          nodes: [{ id: user.id, userName: 'console.user' }],
        });
        await run('setUserRoles', user.id, ['AUDITOR', 'ISSUE_MANAGER']);
        await run('setUserActive', user.id, false);
        await run('setUserActive', user.id, true);
        await run('resetUserPassword', user.id, 'another long console password');
        expect(await run('user', user.id)).toMatchObject({ roles: ['AUDITOR', 'ISSUE_MANAGER'], active: true });
        expect(await run('userSessions', user.id)).toEqual([]);
        expect(await run('revokeUserSessions', user.id)).toBe(0);

        const sessions = await run<{ id: string; current: boolean }[]>('ownSessions');
        expect(sessions.filter((s) => s.current)).toHaveLength(1);
        await run('login', adminUserName, adminPassword);
        const theirs = await run<{ id: string; current: boolean }[]>('userSessions', self.id);
        await run('revokeSession', theirs.find((s) => !s.current)?.id);
        await run('changePassword', adminPassword, 'a changed administrator password');
        await run('changePassword', 'a changed administrator password', adminPassword);
        await run('logout');
        // Each request carried the exact text of a trusted document, and every operation was sent.
        expect(sent.every(({ query }) => manifest.get(documentHash(query)) === query)).toBe(true);
        const names = new Set(sent.map(({ query }) => /^\w+ (\w+)/.exec(query)?.[1]));
        expect([...names].sort()).toEqual(Object.keys(operations).sort());
      });

      it('gets QUERY_NOT_IN_SAFELIST for text that names no operation', async () => {
        await expect(api.graphql('{ me { userName } }')).rejects.toMatchObject({ code: 'QUERY_NOT_IN_SAFELIST' });
        expect(isDeepStrictEqual(sent.at(-1), { query: '{ me { userName } }', variables: {} })).toBe(true);
      });
    });
  });
});
