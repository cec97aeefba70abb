import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '../../src/auth/tokens.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

/** What a hostile request must get back: the exact status and error code (null: none expected). */
interface Case {
  name: string;
  path: string;
  init: RequestInit;
  status: number;
  code: string | null;
  /** Text the answer must not contain (schema hints). */
  without?: RegExp;
}

interface Tokens {
  admin: string;
  auditor: string;
  serviceAccount: string;
  revokedServiceAccount: string;
  deactivatedUser: string;
  expired: string;
  future: string;
  wrongIssuer: string;
  wrongAudience: string;
  unknownKid: string;
}

const accept = 'application/graphql-response+json';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function gql(query: string, variables?: unknown, token?: string, extra: Record<string, unknown> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables, ...extra }),
  };
}

function raw(
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  method = 'POST',
): RequestInit {
  return { method, headers: { accept, ...headers }, body };
}

const auth = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}`, accept } });
const authHeader = (header: string): RequestInit => ({ headers: { authorization: header, accept } });

function cases(t: Tokens): Case[] {
  const list: Case[] = [];
  const add = (name: string, path: string, init: RequestInit, status: number, code: string | null, without?: RegExp) =>
    list.push({ name, path, init, status, code, without });
  const G = '/graphql';
  const bad = (name: string, init: RequestInit) => add(name, G, init, 400, 'BAD_REQUEST');

  // Malformed HTTP and JSON on /graphql.
  bad('invalid JSON', raw('{"query":'));
  bad('empty body', raw(''));
  bad('batched array', raw('[{"query":"{ version }"},{"query":"{ version }"}]'));
  bad('empty batch', raw('[]'));
  bad('JSON string body', raw('"{ version }"'));
  bad('JSON null body', raw('null'));
  bad('JSON number body', raw('42'));
  bad('missing query', raw('{}'));
  bad('query is a number', raw('{"query":1}'));
  bad('query is an object', raw('{"query":{"a":1}}'));
  bad('query is an array', raw('{"query":["{ version }"]}'));
  bad('variables is a string', raw('{"query":"{ version }","variables":"x"}'));
  bad('variables is a number', raw('{"query":"{ version }","variables":7}'));
  bad('extensions is a string', raw('{"query":"{ version }","extensions":"x"}'));
  add(
    'deeply nested JSON variables (parsed, unused)',
    G,
    raw(`{"query":"{ version }","variables":{"a":${'['.repeat(20000)}${']'.repeat(20000)}}}`),
    200,
    null,
  );
  bad('invalid UTF-8 JSON', raw('{"query":"{ version }\udc00"'));
  add(
    'operationName is a number',
    G,
    raw('{"query":"{ version }","operationName":1}'),
    400,
    'OPERATION_RESOLUTION_FAILURE',
  );
  add(
    'text/plain content type (CSRF)',
    G,
    raw('{"query":"{ version }"}', { 'content-type': 'text/plain' }),
    403,
    'CSRF_PREVENTED',
  );
  add(
    'form content type (CSRF)',
    G,
    raw('query=%7Bversion%7D', { 'content-type': 'application/x-www-form-urlencoded' }),
    403,
    'CSRF_PREVENTED',
  );
  add(
    'multipart content type (CSRF)',
    G,
    raw('--x\r\n\r\n--x--', { 'content-type': 'multipart/form-data; boundary=x' }),
    403,
    'CSRF_PREVENTED',
  );
  // GET runs queries only and our tokens are never cookies: no CSRF header needed (src/plugins/use-csrf-prevention.ts).
  add('GET without CSRF header (a query)', `${G}?query=%7Bversion%7D`, { headers: { accept } }, 200, null);
  add(
    'mutation over GET without CSRF header',
    `${G}?query=${encodeURIComponent('mutation { deleteIssue(id: 1) }')}`,
    { headers: { accept } },
    405,
    'BAD_REQUEST',
  );
  add('PUT /graphql', G, { ...gql('{ version }'), method: 'PUT' }, 405, 'BAD_REQUEST');
  add('DELETE /graphql', G, { method: 'DELETE', headers: { accept } }, 403, 'CSRF_PREVENTED');
  add('PATCH /graphql', G, { ...gql('{ version }'), method: 'PATCH' }, 405, 'BAD_REQUEST');
  add(
    'mutation over GET',
    `${G}?query=${encodeURIComponent('mutation { deleteIssue(id: 1) }')}`,
    { headers: { accept, 'x-graphql-yoga-csrf': '1' } },
    405,
    'BAD_REQUEST',
  );
  const huge = JSON.stringify({ query: `{ version } # ${'x'.repeat(200_000)}` });
  add(
    'huge body',
    G,
    raw(huge, { 'content-type': 'application/json', 'content-length': String(huge.length) }),
    413,
    'PAYLOAD_TOO_LARGE',
  );
  add(
    'chunked body without a length',
    G,
    raw('{"query":"{ version }"}', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }),
    411,
    'LENGTH_REQUIRED',
  );
  add(
    'malformed Content-Length',
    G,
    raw('{"query":"{ version }"}', { 'content-type': 'application/json', 'content-length': 'abc' }),
    400,
    'BAD_REQUEST',
  );
  add('huge URL', `${G}?query=${'%7B'.repeat(5000)}`, { headers: { accept } }, 414, 'URI_TOO_LONG');
  add('huge REST URL', `/api/issues/getAll?skip=${'1'.repeat(9000)}`, auth(t.auditor), 414, 'URI_TOO_LONG');

  // GraphQL documents that are not valid.
  const parse = (name: string, query: string) => add(name, G, gql(query), 400, 'GRAPHQL_PARSE_FAILED');
  const invalid = (name: string, query: string, variables?: unknown, token = t.admin) =>
    add(
      name,
      G,
      gql(query, variables, token),
      400,
      'GRAPHQL_VALIDATION_FAILED',
      /Did you mean|"(Query|Mutation|Issue|User|Int|String)"/,
    );
  parse('syntax error', '{ version ');
  parse('unterminated string', '{ issue(id: "1) { id } }');
  parse('stray characters', '{ version } }}}');
  parse('empty document', ' ');
  parse('lone fragment keyword', 'fragment');
  parse('control characters', '{ version \u0007 }');
  invalid('unknown field', '{ versio }');
  invalid('unknown nested field', '{ issues(first: 1) { edges { node { titel } } } }');
  invalid('unknown argument', '{ issues(frist: 1) { totalCount } }');
  invalid('missing required argument', '{ issue { id } }');
  invalid('wrong literal type', '{ issue(id: {a: 1}) { id } }');
  invalid('selection on a scalar', '{ version { length } }');
  invalid('object without selection', '{ me }');
  invalid('unknown fragment', '{ ...Nope }');
  invalid('fragment cycle', 'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }');
  invalid('unused fragment', '{ version } fragment U on Query { version }');
  invalid('undefined variable', 'query { issue(id: $id) { id } }');
  invalid('unused variable', 'query ($x: Int) { version }');
  add(
    'duplicate operation names',
    G,
    gql('query A { version } query A { version }'),
    400,
    'OPERATION_RESOLUTION_FAILURE',
  );
  invalid('unknown directive', '{ version @nope }');
  invalid('directive without its argument', '{ version @skip }');
  invalid('duplicate argument', '{ issues(first: 1, first: 2) { totalCount } }');
  invalid('variable of the wrong type', 'query ($f: String) { issues(first: $f) { totalCount } }', { f: '1' });
  invalid('float literal for an Int', '{ issues(first: 1.5) { totalCount } }');
  invalid('string literal for an Int', '{ issues(first: "10") { totalCount } }');
  invalid('Int literal beyond 32 bits', '{ issues(first: 2147483648) { totalCount } }');
  invalid('unknown enum value', '{ issues(first: 1, filter: { status: [HACKED] }) { totalCount } }');
  // Refused as the operation runs (variable coercion), not by validation: its message is scrubbed too.
  add(
    'variable of an unknown enum value',
    G,
    gql(
      'query ($s: [IssueStatus!]) { issues(first: 1, filter: { status: $s }) { totalCount } }',
      { s: ['HACKED'] },
      t.admin,
    ),
    400,
    'BAD_USER_INPUT',
    /IssueStatus|Did you mean/,
  );
  invalid('unknown input field', '{ issues(first: 1, filter: { evil: true }) { totalCount } }');
  invalid('mutation field on query', '{ createIssue(input: { title: "x" }) { id } }');
  add(
    'several operations, none chosen',
    G,
    gql('query A { version } query B { version }'),
    400,
    'OPERATION_RESOLUTION_FAILURE',
  );
  add(
    'operationName not in document',
    G,
    gql('query A { version }', undefined, undefined, { operationName: 'B' }),
    400,
    'OPERATION_RESOLUTION_FAILURE',
  );
  add('subscription', G, gql('subscription { version }'), 400, 'OPERATION_NOT_SUPPORTED');

  // Limits (graphql-armor).
  const limited = (name: string, query: string, code = 'GRAPHQL_VALIDATION_FAILED') =>
    add(name, G, gql(query, undefined, t.admin), 400, code);
  const chain = (n: number) => `{ serviceAccount(id: 1) { ${'rotatedFrom { '.repeat(n)}id${' }'.repeat(n)} } }`;
  limited('depth 13', chain(12));
  limited('depth 40', chain(39));
  limited(
    'depth through fragments',
    `{ serviceAccount(id: 1) { ...F } } fragment F on ServiceAccount { ${'rotatedFrom { '.repeat(14)}id${' }'.repeat(14)} }`,
  );
  limited('16 aliases', `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: version`).join(' ')} }`);
  limited('alias bomb (500)', `{ ${Array.from({ length: 500 }, (_, i) => `a${i}: version`).join(' ')} }`);
  limited(
    'aliases hidden in fragments',
    `{ ...F ...G } fragment F on Query { ${Array.from({ length: 9 }, (_, i) => `f${i}: version`).join(' ')} } fragment G on Query { ${Array.from({ length: 9 }, (_, i) => `g${i}: version`).join(' ')} }`,
  );
  limited('11 directives', `{ version ${'@include(if: true) '.repeat(11)} }`);
  limited('directive flood (200)', `{ version ${'@skip(if: false) '.repeat(200)} }`);
  limited(
    'directive flood over the token limit (300)',
    `{ version ${'@skip(if: false) '.repeat(300)} }`,
    'GRAPHQL_PARSE_FAILED',
  );
  limited('2,001 tokens', `{ version ${'__typename '.repeat(2001)} }`, 'GRAPHQL_PARSE_FAILED');
  limited(
    'fragment bomb',
    `{ ...F0 } ${Array.from({ length: 12 }, (_, i) => `fragment F${i} on Query { ${i === 11 ? 'version' : `...F${i + 1} a: __typename`} }`).join(' ')} ${'x: __typename '.repeat(0)}`.replace(
      '{ ...F0 }',
      `{ ...F0 ${Array.from({ length: 15 }, (_, i) => `b${i}: version`).join(' ')} }`,
    ),
  );
  limited(
    'costly query',
    `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: issues(first: 500) { edges { node { issueOwner { userName email displayName roles } createdBy { userName email roles } lastUpdatedBy { userName email roles } } } }`).join(' ')} }`,
  );

  // Introspection and schema hints (this app has VIEW_APIS=false).
  const introspection = (name: string, query: string) =>
    add(name, G, gql(query, undefined, t.admin), 400, 'GRAPHQL_VALIDATION_FAILED', /Did you mean|"(Query|Issue|User)"/);
  introspection('__schema', '{ __schema { types { name } } }');
  introspection('__type', '{ __type(name: "Issue") { fields { name } } }');
  introspection('aliased __schema', '{ x: __schema { queryType { name } } }');
  introspection('__schema in a fragment', '{ ...F } fragment F on Query { __schema { types { name } } }');
  introspection('__schema in an inline fragment', '{ ... on Query { __schema { types { name } } } }');
  introspection('__type beside real fields', '{ version t: __type(name: "User") { name } }');
  introspection('introspection query by name', 'query IntrospectionQuery { __schema { directives { name } } }');
  add(
    'introspection over GET',
    `${G}?query=${encodeURIComponent('{ __schema { types { name } } }')}`,
    { headers: { accept, 'x-graphql-yoga-csrf': '1' } },
    400,
    'GRAPHQL_VALIDATION_FAILED',
  );
  invalid('suggestion probe: misspelled root field', '{ isue(id: 1) { id } }');
  invalid('suggestion probe: misspelled type field', '{ issue(id: 1) { severty } }');
  invalid('suggestion probe: misspelled argument', '{ issues(fist: 1) { totalCount } }');
  invalid('suggestion probe: misspelled enum', '{ issues(first: 1, filter: { status: [OPN] }) { totalCount } }');
  invalid('suggestion probe: misspelled input field', 'mutation { createIssue(input: { titel: "x" }) { id } }');
  add('GraphiQL page', G, { headers: { accept: 'text/html' } }, 404, null);
  add('Swagger UI', '/swagger', {}, 404, 'NOT_FOUND');
  add('OpenAPI document', '/swagger/v1/swagger.json', {}, 404, 'NOT_FOUND');

  // Tokens: every way of forging or misusing one, on GraphQL and on REST.
  const [header, payload, signature] = t.admin.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const h = JSON.parse(Buffer.from(header, 'base64url').toString());
  const attacks: [string, string][] = [
    ['alg none', `Bearer ${b64({ ...h, alg: 'none' })}.${payload}.`],
    ['alg none with signature', `Bearer ${b64({ ...h, alg: 'none' })}.${payload}.${signature}`],
    ['expired token', `Bearer ${t.expired}`],
    ['token not yet valid', `Bearer ${t.future}`],
    ['wrong issuer', `Bearer ${t.wrongIssuer}`],
    ['wrong audience', `Bearer ${t.wrongAudience}`],
    [
      'bad signature',
      `Bearer ${header}.${payload}.${signature.slice(0, -3)}${signature.endsWith('AAA') ? 'BBB' : 'AAA'}`,
    ],
    [
      'tampered roles',
      `Bearer ${header}.${b64({ ...claims, roles: ['ADMINISTRATOR', 'ISSUE_MANAGER'] })}.${signature}`,
    ],
    ['bad base64', 'Bearer e30=.e30=.e30='],
    ['non-JSON payload', `Bearer ${header}.bm90IGpzb24.${signature}`],
    ['oversized token', `Bearer ${header}.${'A'.repeat(6000)}.${signature}`],
    ['unknown kid', `Bearer ${t.unknownKid}`],
    ['kid path traversal', `Bearer ${b64({ ...h, kid: '../../../../etc/passwd' })}.${payload}.${signature}`],
    ['jku header injection', `Bearer ${b64({ ...h, jku: 'http://127.0.0.1:1/jwks.json' })}.${payload}.${signature}`],
    ['revoked service account', `Bearer ${t.revokedServiceAccount}`],
    ['deactivated account', `Bearer ${t.deactivatedUser}`],
    ['Basic scheme', `Basic ${Buffer.from(`${adminUserName}:${adminPassword}`).toString('base64')}`],
    ['empty bearer', 'Bearer '],
    ['two tokens', `Bearer ${t.admin}, Bearer ${t.admin}`],
  ];
  for (const [name, authorization] of attacks) {
    add(
      `JWT ${name} (GraphQL)`,
      G,
      { ...gql('{ me { kind } }'), headers: { 'content-type': 'application/json', accept, authorization } },
      401,
      'UNAUTHENTICATED',
    );
    add(`JWT ${name} (REST)`, '/api/issues/getAll', authHeader(authorization), 401, 'UNAUTHENTICATED');
  }
  add(
    'HS256 made with the public key as secret',
    G,
    {
      ...gql('{ me { kind } }'),
      headers: { 'content-type': 'application/json', accept, authorization: 'Bearer __HS256__' },
    },
    401,
    'UNAUTHENTICATED',
  );
  add(
    'token in the query string',
    `/api/issues/getAll?access_token=${t.admin}`,
    { headers: { accept } },
    401,
    'UNAUTHENTICATED',
  );

  // SQL-looking, oversized and odd strings in every input.
  const sqlish = [
    "' OR '1'='1",
    '\'; DROP TABLE "Issue"; --',
    '%',
    '_',
    '\\',
    '1; SELECT pg_sleep(5)--',
    '" OR ""="',
    'Robert\'); DELETE FROM "User";--',
  ];
  for (const [i, text] of sqlish.entries()) {
    add(
      `SQL-looking search #${i + 1}`,
      G,
      gql('query ($s: String) { issues(first: 5, filter: { search: $s }) { totalCount } }', { s: text }, t.auditor),
      200,
      null,
    );
  }
  const badInput = (name: string, query: string, variables: unknown, token = t.admin) =>
    add(name, G, gql(query, variables, token), 400, 'BAD_USER_INPUT');
  const createIssue = 'mutation ($input: CreateIssueInput!) { createIssue(input: $input) { id } }';
  badInput(
    'search of 201 characters',
    'query ($s: String) { issues(first: 1, filter: { search: $s }) { totalCount } }',
    { s: 'x'.repeat(201) },
    t.auditor,
  );
  badInput('title of 301 characters', createIssue, { input: { title: 'x'.repeat(301) } });
  badInput('title of spaces only', createIssue, { input: { title: '    ' } });
  badInput('title with a NUL character', createIssue, { input: { title: 'null\u0000byte' } });
  badInput('description of 20,001 characters', createIssue, {
    input: { title: 'ok', description: 'd'.repeat(20_001) },
  });
  badInput('description with a NUL character', createIssue, { input: { title: 'ok', description: '\u0000' } });
  badInput('SQL in an owner id', createIssue, { input: { title: 'ok', issueOwnerId: "1' OR '1'='1" } });
  badInput('due date in year 0001', createIssue, { input: { title: 'ok', dueDate: '0001-01-01T00:00:00Z' } });
  badInput('due date not a date', createIssue, { input: { title: 'ok', dueDate: 'tomorrow' } });
  badInput(
    'search with a NUL character',
    'query ($s: String) { issues(first: 1, filter: { search: $s }) { totalCount } }',
    { s: 'a\u0000' },
    t.auditor,
  );
  badInput(
    'SQL in a filter owner id',
    'query ($o: ID) { issues(first: 1, filter: { issueOwnerId: $o }) { totalCount } }',
    { o: "x' OR 1=1 --" },
    t.auditor,
  );
  const createSa = 'mutation ($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { token } }';
  badInput('purpose of 501 characters', createSa, { input: { durationDays: 1, purpose: 'p'.repeat(501) } });
  badInput('purpose with a NUL character', createSa, { input: { durationDays: 1, purpose: 'abc\u0000def' } });
  const createUser = 'mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }';
  badInput('SQL in a user name', createUser, { input: { userName: "admin'--", password: userPassword } });
  badInput('user name of 101 characters', createUser, { input: { userName: 'u'.repeat(101), password: userPassword } });
  badInput('password of 1,025 characters', createUser, {
    input: { userName: 'long.password', password: 'p'.repeat(1025) },
  });
  badInput('script in an email', createUser, {
    input: { userName: 'xss.user', password: userPassword, email: '<script>alert(1)</script>' },
  });
  badInput('display name of 201 characters', createUser, {
    input: { userName: 'long.display', password: userPassword, displayName: 'd'.repeat(201) },
  });
  badInput(
    'audit actor with a NUL character',
    'query ($a: String) { auditEvents(filter: { actor: $a }) { hasNextPage } }',
    { a: '\u0000' },
  );
  const login = (name: string, body: unknown, status: number, code: string) =>
    add(name, '/api/authentication/login', raw(JSON.stringify(body)), status, code);
  login('login: SQL in the user name', { userName: "' OR 1=1 --", password: 'x' }, 401, 'UNAUTHENTICATED');
  login('login: user name of 101 characters', { userName: 'u'.repeat(101), password: 'x' }, 400, 'BAD_USER_INPUT');
  login(
    'login: password of 1,025 characters',
    { userName: adminUserName, password: 'p'.repeat(1025) },
    400,
    'BAD_USER_INPUT',
  );
  login('login: NUL in the user name', { userName: 'root\u0000admin', password: 'x' }, 400, 'BAD_USER_INPUT');
  login('login: objects for strings', { userName: { $ne: null }, password: { $ne: null } }, 400, 'BAD_USER_INPUT');
  login(
    'login: prototype pollution',
    JSON.parse('{"__proto__":{"roles":["ADMINISTRATOR"]},"userName":"x","password":"y"}'),
    401,
    'UNAUTHENTICATED',
  );
  add(
    'login: body over 64 KiB',
    '/api/authentication/login',
    raw(JSON.stringify({ userName: 'x', password: 'p'.repeat(70_000) })),
    400,
    'BAD_USER_INPUT',
  );
  add(
    'login: text/plain',
    '/api/authentication/login',
    raw('{}', { 'content-type': 'text/plain' }),
    400,
    'BAD_USER_INPUT',
  );
  add('login: malformed JSON', '/api/authentication/login', raw('{"userName":'), 400, 'BAD_USER_INPUT');
  add('login: JSON array', '/api/authentication/login', raw('[]'), 400, 'BAD_USER_INPUT');
  add(
    'login: GraphQL injection in variables',
    G,
    gql('mutation ($u: String!, $p: String!) { login(userName: $u, password: $p) { token } }', {
      u: '") { token } me { kind } #',
      p: 'x',
    }),
    401,
    'UNAUTHENTICATED',
  );

  // Invalid ids and cursors.
  for (const id of ['abc', '-1', '0', '1.5', '1e3', '0x1F', '', '99999999999', '1; DROP TABLE "Issue"', '1 OR 1=1']) {
    add(
      `issue id ${JSON.stringify(id)}`,
      G,
      gql('query ($id: ID!) { issue(id: $id) { id } }', { id }, t.auditor),
      400,
      'BAD_USER_INPUT',
    );
  }
  add('issue id that does not exist', G, gql('{ issue(id: "999999") { id } }', undefined, t.auditor), 404, 'NOT_FOUND');
  add('delete an issue id -5', G, gql('mutation { deleteIssue(id: "-5") }', undefined, t.admin), 400, 'BAD_USER_INPUT');
  add(
    'service account id "x"',
    G,
    gql('{ serviceAccount(id: "x") { id } }', undefined, t.admin),
    400,
    'BAD_USER_INPUT',
  );
  add('user id not a UUID', G, gql('{ user(id: "1 OR 1=1") { id } }', undefined, t.admin), 400, 'BAD_USER_INPUT');
  add(
    'user id with a NUL character',
    G,
    gql('query ($id: ID!) { user(id: $id) { id } }', { id: '\u0000' }, t.admin),
    400,
    'BAD_USER_INPUT',
  );
  const page = 'query ($a: String, $b: String) { issues(first: 2, after: $a, last: null, before: $b) { totalCount } }';
  for (const [name, cursor] of [
    ['garbage cursor', 'garbage!!'],
    ['cursor of an empty object', b64({})],
    ['cursor with a string id', b64({ o: 'ID:ASC', v: 1, id: 'x' })],
    ['cursor with SQL', b64({ o: 'ID:ASC', v: "1' OR 1=1", id: 1 })],
    ['cursor of another ordering', b64({ o: 'DUE_DATE:ASC', v: null, id: 1 })],
    ['cursor of 10,000 characters', 'A'.repeat(10_000)],
    ['cursor that is not base64', '%%%'],
  ] as const) {
    add(name, G, gql(page, { a: cursor }, t.auditor), 400, 'BAD_USER_INPUT');
  }
  add(
    'audit cursor with SQL',
    G,
    gql('query ($a: String) { auditEvents(after: $a) { hasNextPage } }', { a: '1 OR 1=1' }, t.admin),
    400,
    'BAD_USER_INPUT',
  );

  // Negative and huge numbers.
  const num = (name: string, query: string, variables: unknown, token = t.auditor) =>
    add(name, G, gql(query, variables, token), 400, 'BAD_USER_INPUT');
  const first = 'query ($n: Int) { issues(first: $n) { totalCount } }';
  num('first: -1', first, { n: -1 });
  num('first: 501', first, { n: 501 });
  num('first: 2^31 (variable)', first, { n: 2 ** 31 });
  num('first: 1.5 (variable)', first, { n: 1.5 });
  num('first: "10" (variable)', first, { n: '10' });
  num('last: 1e6', 'query ($n: Int) { issues(last: $n) { totalCount } }', { n: 1e6 });
  num('durationDays: 0', createSa, { input: { durationDays: 0, purpose: 'valid purpose' } }, t.admin);
  num('durationDays: -1', createSa, { input: { durationDays: -1, purpose: 'valid purpose' } }, t.admin);
  num('durationDays: 1e9', createSa, { input: { durationDays: 1e9, purpose: 'valid purpose' } }, t.admin);
  num('durationDays: 1.5', createSa, { input: { durationDays: 1.5, purpose: 'valid purpose' } }, t.admin);
  num('auditEvents first: 501', 'query ($n: Int) { auditEvents(first: $n) { hasNextPage } }', { n: 501 }, t.admin);
  for (const query of [
    'take=0',
    'take=501',
    'take=-1',
    'skip=-1',
    'skip=1e99',
    'take=0x10',
    'take=NaN',
    'skip=9999999999',
  ]) {
    add(`REST ${query}`, `/api/issues/getAll?${query}`, auth(t.auditor), 400, 'BAD_USER_INPUT');
  }

  // REST routes and methods.
  add('unknown REST route', '/api/nope', auth(t.auditor), 404, 'NOT_FOUND');
  add('REST path traversal', '/api/issues/..%2F..%2Fetc%2Fpasswd', auth(t.auditor), 400, 'BAD_USER_INPUT');
  add('POST to getAll', '/api/issues/getAll', { ...auth(t.auditor), method: 'POST' }, 405, 'METHOD_NOT_ALLOWED');
  add('DELETE an issue over REST', '/api/issues/1', { ...auth(t.admin), method: 'DELETE' }, 405, 'METHOD_NOT_ALLOWED');
  add('GET the login endpoint', '/api/authentication/login', {}, 405, 'METHOD_NOT_ALLOWED');
  add('REST id 0', '/api/issues/0', auth(t.auditor), 400, 'BAD_USER_INPUT');
  add('REST id with SQL', `/api/issues/${encodeURIComponent('1 OR 1=1')}`, auth(t.auditor), 400, 'BAD_USER_INPUT');
  add('REST malformed percent-encoding', '/api/issues/%E0%A4%A', auth(t.auditor), 400, 'BAD_REQUEST');
  add('REST without a token', '/api/issues/getAll', {}, 401, 'UNAUTHENTICATED');

  // Rights: a valid token used beyond its roles.
  add('auditor creates an issue', G, gql(createIssue, { input: { title: 'nope' } }, t.auditor), 403, 'FORBIDDEN');
  add('auditor lists users', G, gql('{ users { id } }', undefined, t.auditor), 403, 'FORBIDDEN');
  add(
    'service account creates a service account',
    G,
    gql(createSa, { input: { durationDays: 1, purpose: 'escalate' } }, t.serviceAccount),
    403,
    'FORBIDDEN',
  );
  add(
    'service account reads the audit trail',
    G,
    gql('{ auditEvents { hasNextPage } }', undefined, t.serviceAccount),
    403,
    'FORBIDDEN',
  );
  add(
    'service account writes an issue',
    G,
    gql(createIssue, { input: { title: 'nope' } }, t.serviceAccount),
    403,
    'FORBIDDEN',
  );
  add('anonymous deletes an issue', G, gql('mutation { deleteIssue(id: "1") }'), 401, 'UNAUTHENTICATED');
  return list;
}

const stackTrace = /\n\s+at [\w.<>]+ \(|at async |node:internal|\/node_modules\//;

/** A test's name: method, path (without the query string) and the case's own name. */
const title = (c: Case) => `${c.init.method ?? 'GET'} ${c.path.split('?')[0]}: ${c.name}`;

/**
 * The test names, known before any token exists: the cases built with stand-in tokens (shaped like
 * a JWT, as some cases take the admin token apart). Each test finds its real case by this name.
 */
const titles = (() => {
  const standIn = `${b64({ alg: 'ES256', kid: 'stand-in', typ: 'at+jwt' })}.${b64({ sub: 'x' })}.c2lnbmF0dXJl`;
  const standIns = new Proxy({} as Tokens, { get: () => standIn });
  return cases(standIns).map(title);
})();

describe.each(testProviders)('hostile input on %s', (provider) => {
  let app: TestApp;
  let tokens: Tokens;
  let secrets: string[];
  let byTitle: Map<string, Case>;
  let hs256: string;
  let snapshot: () => Promise<string>;
  let before: string;
  /** What each case's answer showed, for the shared checks after the cases. */
  const seen: { name: string; stackTrace: boolean; secret: boolean; hint: boolean }[] = [];

  beforeAll(async () => {
    app = await startTestApp(provider, { VIEW_APIS: 'false' });
    const admin = await app.login(adminUserName, adminPassword);
    await app.createUser('hostile.auditor', ['AUDITOR']);
    const leaver = await app.createUser('hostile.leaver', ['AUDITOR']);
    const auditor = await app.login('hostile.auditor', userPassword);
    const deactivatedUser = await app.login('hostile.leaver', userPassword);
    await app.graphql('mutation ($id: ID!) { deactivateUser(id: $id) { id } }', { id: leaver }, admin);
    const sa = async (purpose: string) => {
      const { body } = await app.graphql<{ createServiceAccount: { token: string; serviceAccount: { id: string } } }>(
        'mutation ($p: String!) { createServiceAccount(input: { durationDays: 5, purpose: $p }) { token serviceAccount { id } } }',
        { p: purpose },
        admin,
      );
      return body.data?.createServiceAccount ?? { token: '', serviceAccount: { id: '' } };
    };
    const serviceAccount = await sa('Hostile suite reader');
    const revoked = await sa('Hostile suite revoked');
    await app.graphql(
      'mutation ($id: ID!) { revokeServiceAccount(id: $id) { id } }',
      { id: revoked.serviceAccount.id },
      admin,
    );
    const signAs = async (issuer: string, audience: string, expiresAt: Date) =>
      (
        await new TokenService({
          keys: app.auth.keys,
          issuer,
          audience,
          clockToleranceSeconds: 0,
          now: () => app.clock.now,
        }).sign({
          kind: 'user',
          subject: 'someone',
          userName: adminUserName,
          roles: ['ADMINISTRATOR'],
          expiresAt,
        })
      ).token;
    const saved = app.clock.now;
    app.clock.now = new Date(saved.getTime() + 3_600_000);
    const future = await signAs('grc-api', 'grc-api', new Date(saved.getTime() + 7_200_000));
    app.clock.now = new Date(saved.getTime() - 7_200_000);
    const expired = await signAs('grc-api', 'grc-api', new Date(saved.getTime() - 3_600_000));
    app.clock.now = saved;
    const { key, alg } = app.auth.keys.signingKey;
    tokens = {
      admin,
      auditor,
      serviceAccount: serviceAccount.token,
      revokedServiceAccount: revoked.token,
      deactivatedUser,
      expired,
      future,
      wrongIssuer: await signAs('evil', 'grc-api', new Date(saved.getTime() + 600_000)),
      wrongAudience: await signAs('grc-api', 'evil', new Date(saved.getTime() + 600_000)),
      unknownKid: await new SignJWT({ kind: 'user', name: adminUserName, roles: ['ADMINISTRATOR'] })
        .setProtectedHeader({ alg, kid: 'not-ours', typ: 'at+jwt' })
        .setIssuer('grc-api')
        .setAudience('grc-api')
        .setSubject('x')
        .setJti('x')
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime('10m')
        .sign(key),
    };
    secrets = [adminPassword, userPassword, ...Object.values(tokens).map((token) => token.split('.')[2] ?? token)];

    // The HS256 confusion token needs the published public key.
    const jwks = await (await app.fetch('/.well-known/jwks.json')).json();
    const [, payload] = tokens.admin.split('.');
    hs256 = await new SignJWT(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()))
      .setProtectedHeader({ alg: 'HS256', kid: jwks.keys[0].kid, typ: 'at+jwt' })
      .sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0])));

    snapshot = async () =>
      JSON.stringify([
        await app.db.issue.findMany({ orderBy: { id: 'asc' } }),
        await app.db.user.findMany({ orderBy: { id: 'asc' } }),
        await app.db.userRole.findMany({ orderBy: [{ userId: 'asc' }, { role: 'asc' }] }),
        await app.db.serviceAccount.findMany({
          orderBy: { id: 'asc' },
          omit: { lastUsedAt: true, useCount: true, lastClientIp: true },
        }),
      ]);
    before = await snapshot();
    byTitle = new Map(cases(tokens).map((c) => [title(c), c]));
  });
  afterAll(() => app.close());

  // Tests in a file run one after another, in this order: first this check, then every case, then
  // the checks over all of them.
  it('has at least 225 cases, each with a test name of its own', () => {
    expect(titles.length).toBeGreaterThanOrEqual(225);
    expect(titles.filter((t, i) => titles.indexOf(t) !== i)).toEqual([]);
    // The real tokens make the same cases as the stand-ins.
    expect([...byTitle.keys()]).toEqual(titles);
    console.log(`hostile cases on ${provider}: ${titles.length}`);
  });

  it.for(titles)('%s', async (name) => {
    const c = byTitle.get(name);
    if (!c) throw new Error(`no case named ${name}`);
    const headers = new Headers(c.init.headers);
    if (headers.get('authorization') === 'Bearer __HS256__') headers.set('authorization', `Bearer ${hs256}`);
    const response = await app.fetch(c.path, { ...c.init, headers });
    const text = await response.text();
    let code: string | null = null;
    try {
      const json = JSON.parse(text);
      code = json.errors?.[0]?.extensions?.code ?? json.error?.code ?? null;
    } catch {
      code = null;
    }
    seen.push({
      name,
      stackTrace: stackTrace.test(text),
      secret: secrets.some((s) => text.includes(s)),
      hint: c.without ? c.without.test(text) : false,
    });
    expect({ status: response.status, code }).toEqual({ status: c.status, code: c.code });
  });

  it('leaks no stack trace, secret or schema hint in any answer', () => {
    expect(seen.map((o) => o.name)).toEqual(titles);
    expect(seen.filter((o) => o.stackTrace || o.secret || o.hint)).toEqual([]);
  });

  it('changes no stored data', async () => {
    expect(await snapshot()).toBe(before);
  });

  it('keeps serving', async () => {
    const { status, body } = await app.graphql('{ version }');
    expect(status).toBe(200);
    expect(body.data).toEqual({ version: expect.any(String) });
    expect((await app.fetch('/api/issues/getAll?take=1', auth(tokens.auditor))).status).toBe(200);
  });
});
