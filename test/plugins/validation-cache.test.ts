import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useValidationCache } from '../../src/plugins/use-validation-cache.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

describe('useValidationCache', () => {
  /** Documents the counting rule has visited, by their text. */
  let visits: string[] = [];
  const counting: ValidationRule = (context) => ({
    Document(node) {
      visits.push(node.loc?.source.body ?? '');
    },
    Field(node) {
      if (node.name.value === 'refused') context.reportError(new GraphQLError('refused by the rule'));
    },
  });
  /** Added only to requests with `x-strict: 1`: a rule some requests have and others do not. */
  const strict: ValidationRule = (context) => ({
    Field(node) {
      if (node.name.value === 'open') context.reportError(new GraphQLError('refused when strict'));
    },
  });
  const rules: Plugin = {
    onValidate({ addValidationRule, context }) {
      // A new function on every request, as graphql-armor's plugins add theirs.
      addValidationRule((c: ValidationContext) => counting(c));
      if ((context as { request: Request }).request.headers.get('x-strict') === '1') addValidationRule(strict);
    },
  };
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: 'type Query { open: String, refused: String }',
      resolvers: { Query: { open: () => 'open', refused: () => 'ran' } },
    }),
    maskedErrors: false,
    parserAndValidationCache: { validationCache: false },
    plugins: [rules, useValidationCache()],
  });
  const run = async (query: string, headers: Record<string, string> = {}) => {
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });
    return { body: await response.json() };
  };

  it('validates a document once, however often it comes, and gives every request the same answer', async () => {
    visits = [];
    const open = [await run('{ open }'), await run('{ open }'), await run('{ open }')];
    expect(open.map((a) => a.body)).toEqual(Array(3).fill({ data: { open: 'open' } }));
    const refused = [await run('{ refused }'), await run('{ refused }'), await run('{ refused }')];
    for (const answer of refused) {
      expect(answer.body.errors.map((e: { message: string }) => e.message)).toEqual(['refused by the rule']);
      expect(answer.body.data).toBeUndefined();
    }
    // Another text is another document, validated for itself.
    await run('{ open refused }');
    expect(visits).toEqual(['{ open }', '{ refused }', '{ open refused }']);
  });

  it('keeps the answers of requests with other rules apart: a rule some requests add is never skipped', async () => {
    visits = [];
    expect((await run('query Q { open }')).body).toEqual({ data: { open: 'open' } });
    const strict = await run('query Q { open }', { 'x-strict': '1' });
    expect(strict.body.data).toBeUndefined();
    expect(strict.body.errors.map((e: { message: string }) => e.message)).toEqual(['refused when strict']);
    // Neither answer is given for the other's rules.
    expect((await run('query Q { open }', { 'x-strict': '1' })).body).toEqual(strict.body);
    expect((await run('query Q { open }')).body).toEqual({ data: { open: 'open' } });
    expect(visits).toEqual(['query Q { open }', 'query Q { open }']);
  });
});

describe.each(testProviders)('validation answered from the cache on %s', (provider) => {
  let app: TestApp;
  let hidden: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await startTestApp(provider);
    hidden = await startTestApp(provider, { VIEW_APIS: 'false' }, app);
    token = await app.login(adminUserName, adminPassword);
  });
  afterAll(async () => {
    await hidden.close();
    await app.close();
  });

  const thrice = async (target: TestApp, query: string) => [
    await target.graphql(query, {}, token),
    await target.graphql(query, {}, token),
    await target.graphql(query, {}, token),
  ];

  it('refuses a document over the limits each time it comes, with the same error (and answers one within them)', async () => {
    const within = `{ ${Array.from({ length: 15 }, (_, i) => `v${i}: version`).join(' ')} }`;
    for (const answer of await thrice(app, within)) expect(answer.body.errors).toBeUndefined();
    const aliases = `{ ${Array.from({ length: 40 }, (_, i) => `v${i}: version`).join(' ')} }`;
    for (const answer of await thrice(app, aliases)) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]).toMatchObject({
        message: 'Syntax Error: Too many aliases.',
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      });
    }
    for (const answer of await thrice(app, '{ version nope }')) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
  });

  it('refuses introspection each time where contracts are not published, and answers it where they are', async () => {
    const query = '{ __schema { queryType { name } } }';
    for (const answer of await thrice(hidden, query)) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/^GraphQL introspection has been disabled/),
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      });
      expect(answer.body.data).toBeUndefined();
    }
    for (const answer of await thrice(app, query)) {
      expect(answer.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    }
  });
});
