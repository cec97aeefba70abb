import { GraphQLError } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useGraphQlJit } from '../../src/plugins/use-graphql-jit.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

/** Which executor called the resolver: graphql-jit's generated code is made by `new Function`. */
const engine = () => (/eval at compileQuery/.test(new Error().stack ?? '') ? 'jit' : 'graphql-js');

describe('useGraphQlJit', () => {
  const flag = globalThis as { jitInjected?: boolean };
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: /* GraphQL */ `
        type Query { engine: String!, echo(s: String, n: Int): String!, refused: String, missing: String!, list: [Int] }
        type Mutation { engine: String! }
      `,
      resolvers: {
        Query: {
          engine,
          echo: (_: unknown, { s, n }: { s?: string; n?: number }) => `${engine()} ${s ?? n}`,
          refused: () => {
            throw new GraphQLError('refused by the resolver', { extensions: { code: 'NO' } });
          },
          missing: () => null,
          list: () => 7,
        },
        Mutation: { engine },
      },
    }),
    maskedErrors: false,
    plugins: [useGraphQlJit({ compileAfter: 2 })],
  });
  const run = async (query: string, variables?: object) => {
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return response.json();
  };
  const times = async (n: number, query: string, variables?: object) => {
    const answers = [];
    for (let i = 0; i < n; i++) answers.push(await run(query, variables));
    return answers;
  };

  it('compiles a query once it has run compileAfter times through graphql-js', async () => {
    const answers = await times(4, '{ engine }');
    expect(answers.map((a) => a.data.engine)).toEqual(['graphql-js', 'graphql-js', 'jit', 'jit']);
    // Each document counts for itself; variables are read at run time.
    const echoes = await times(4, 'query ($n: Int) { echo(n: $n) }', { n: 7 });
    expect(echoes.map((a) => a.data.echo)).toEqual(['graphql-js 7', 'graphql-js 7', 'jit 7', 'jit 7']);
  });

  it('never compiles a mutation, a document of several operations, a string literal or __proto__', async () => {
    const engines = async (query: string, operationName?: string) =>
      (
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            const response = await yoga.fetch('http://localhost/graphql', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ query, operationName }),
            });
            return JSON.stringify(await response.json());
          }),
        )
      ).join();
    expect(await engines('mutation { engine }')).not.toContain('jit');
    expect(await engines('query A { engine } query B { e: engine }', 'A')).not.toContain('jit');
    expect(await engines('{ echo(s: "x") }')).not.toContain('jit');
    expect(await engines('{ __proto__: engine }')).not.toContain('jit');
  });

  it('compiles at most maxCompiled documents at once', async () => {
    const bounded = createYoga({
      schema: yoga.getEnveloped().schema,
      plugins: [useGraphQlJit({ compileAfter: 0, maxCompiled: 1 })],
    });
    const engineOf = async (query: string) => {
      const response = await bounded.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      return Object.values((await response.json()).data as object)[0];
    };
    expect(await engineOf('{ first: engine }')).toBe('jit');
    // The first document is still in yoga's parse cache, so its code is alive.
    expect(await engineOf('{ second: engine }')).toBe('graphql-js');
    expect(await engineOf('{ first: engine }')).toBe('jit');
  });

  it('runs no code written in a string literal (graphql-jit inlines literal arguments)', async () => {
    // graphql-jit 0.8 turns `"<its Date marker>n"` in generated code into `new Date(n)`.
    const payload = '__MAGIC_DATE__33a9e76d_02e0_4128_8e92_3530ad3da74d0)&&(globalThis.jitInjected=true)&&new Date(0';
    const answers = await times(4, `{ echo(s: "${payload}") }`);
    expect(flag.jitInjected).toBeUndefined();
    expect(answers.map((a) => a.data.echo)).toEqual(Array(4).fill(`graphql-js ${payload}`));
  });

  it('answers a query that fails as graphql-js does, compiled or not', async () => {
    for (const [query, variables] of [
      ['{ engine refused alias: refused }'],
      ['{ engine missing }'],
      ['{ engine list }'],
      ['query ($n: Int) { echo(n: $n) }', { n: 'x' }],
    ] as const) {
      const answers = await times(4, query, variables);
      expect(answers.slice(1).map((a) => ({ ...a, data: a.data && { ...a.data, engine: 'any' } }))).toEqual(
        Array(3).fill({ ...answers[0], data: answers[0].data && { ...answers[0].data, engine: 'any' } }),
      );
    }
    const [refused] = await times(1, '{ engine refused alias: refused }');
    expect(refused).toEqual({
      data: { engine: 'jit', refused: null, alias: null },
      errors: [
        {
          message: 'refused by the resolver',
          locations: [{ line: 1, column: 10 }],
          path: ['refused'],
          extensions: { code: 'NO' },
        },
        {
          message: 'refused by the resolver',
          locations: [{ line: 1, column: 18 }],
          path: ['alias'],
          extensions: { code: 'NO' },
        },
      ],
    });
    const [coerced] = await times(1, 'query ($n: Int) { echo(n: $n) }', { n: 'x' });
    expect(coerced.errors[0].message).toBe(
      'Variable "$n" got invalid value "x"; Int cannot represent non-integer value: "x"',
    );
  });
});

describe.each(testProviders)('queries compiled by graphql-jit on %s', (provider) => {
  let app: TestApp;
  let admin: string;
  let auditor: string;

  beforeAll(async () => {
    app = await startTestApp(provider, { VIEW_APIS: 'false' });
    admin = await app.login(adminUserName, adminPassword);
    await app.createUser('jit.auditor', ['AUDITOR']);
    auditor = await app.login('jit.auditor', 'a perfectly long password');
    for (const title of ['First', 'Second', 'Third'])
      await app.graphql(
        'mutation ($input: CreateIssueInput!) { createIssue(input: $input) { id } }',
        { input: { title, dueDate: '2030-01-01T00:00:00.000Z' } },
        admin,
      );
  });
  afterAll(() => app.close());

  const page = 'edges { cursor node { id title status severityLevel dueDate createdAt createdBy { userName } } }';
  const cases: [string, string, Record<string, unknown> | undefined, () => string | undefined][] = [
    [
      'a page of issues',
      `{ issues(first: 50) { ${page} pageInfo { hasNextPage endCursor } } }`,
      undefined,
      () => admin,
    ],
    [
      'aliases, fragments, __typename',
      `query ($n: Int) { a: issues(first: $n) { ...P } b: issues(last: 1) { ...P __typename } } fragment P on IssueConnection { ${page} }`,
      { n: 2 },
      () => auditor,
    ],
    ['the caller', '{ me { kind roles userName tokenExpiresAt grantableRoles } }', undefined, () => admin],
    ['a field the caller may not read', '{ users { id } }', undefined, () => auditor],
    ['no token', '{ issues(first: 1) { edges { node { id } } } }', undefined, () => undefined],
    ['an issue that does not exist', 'query ($id: ID!) { issue(id: $id) { id title } }', { id: '999999' }, () => admin],
    [
      'a variable that does not coerce',
      'query ($n: Int) { issues(first: $n) { edges { node { id } } } }',
      { n: 1.5 },
      () => admin,
    ],
    [
      'a filter of the wrong type',
      'query ($f: IssueFilter) { issues(filter: $f) { edges { node { id } } } }',
      { f: { status: ['NOPE'] } },
      () => admin,
    ],
    ['a page too large', 'query ($n: Int) { issues(first: $n) { edges { node { id } } } }', { n: 501 }, () => admin],
  ];

  it.each(cases)('answers %s the same the first time and once compiled', async (_name, query, variables, token) => {
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const response = await app.fetch('/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...(token() ? { authorization: `Bearer ${token()}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      answers.push({ status: response.status, body: await response.json() });
    }
    // Equal as JSON: graphql-tools' executor orders an object's fields as their resolvers
    // settle, graphql-jit in the order of the document, as the spec says.
    expect(answers.slice(1)).toEqual(Array(4).fill(answers[0]));
  });
});
