import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allows, grantableRoles, type Rule, refusal, rules } from '../../src/access/policy.ts';
import type { Principal } from '../../src/access/principal.ts';
import { startTestApp, type TestApp, userPassword } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

const principal = (kind: Principal['kind'], roles: string[]): Principal => ({
  kind,
  userId: '00000000-0000-4000-8000-000000000000',
  serviceAccountId: kind === 'serviceAccount' ? 1 : null,
  userName: 'someone',
  roles: new Set(roles) as Principal['roles'],
  tokenId: 'jti',
  expiresAt: new Date(Date.UTC(2100, 0, 1)),
});

/** Who may do what: the whole table, so that a changed rule shows here. */
const expected: Record<Rule, { role: string; kind: Principal['kind']; allowed: boolean }[]> = {
  signedIn: [
    { role: 'NONE', kind: 'user', allowed: true },
    { role: 'NONE', kind: 'serviceAccount', allowed: true },
    { role: 'AUDITOR', kind: 'serviceAccount', allowed: true },
  ],
  readIssues: [
    { role: 'AUDITOR', kind: 'user', allowed: true },
    { role: 'AUDITOR', kind: 'serviceAccount', allowed: true },
    { role: 'ISSUE_MANAGER', kind: 'user', allowed: true },
    { role: 'ADMINISTRATOR', kind: 'serviceAccount', allowed: true },
  ],
  writeIssues: [
    { role: 'AUDITOR', kind: 'user', allowed: false },
    { role: 'ISSUE_MANAGER', kind: 'serviceAccount', allowed: true },
    { role: 'ADMINISTRATOR', kind: 'user', allowed: true },
  ],
  manageUsers: [
    { role: 'ADMINISTRATOR', kind: 'user', allowed: true },
    { role: 'ADMINISTRATOR', kind: 'serviceAccount', allowed: false },
    { role: 'ISSUE_MANAGER', kind: 'user', allowed: false },
  ],
  manageServiceAccounts: [
    { role: 'ADMINISTRATOR', kind: 'user', allowed: true },
    { role: 'ADMINISTRATOR', kind: 'serviceAccount', allowed: false },
    { role: 'AUDITOR', kind: 'user', allowed: false },
  ],
  readAuditEvents: [
    { role: 'ADMINISTRATOR', kind: 'user', allowed: true },
    { role: 'ADMINISTRATOR', kind: 'serviceAccount', allowed: true },
    { role: 'AUDITOR', kind: 'user', allowed: false },
  ],
  readPersonalData: [
    { role: 'ADMINISTRATOR', kind: 'user', allowed: true },
    { role: 'ADMINISTRATOR', kind: 'serviceAccount', allowed: true },
    { role: 'AUDITOR', kind: 'user', allowed: false },
    { role: 'ISSUE_MANAGER', kind: 'serviceAccount', allowed: false },
  ],
  ownSessions: [
    { role: 'AUDITOR', kind: 'user', allowed: true },
    { role: 'ADMINISTRATOR', kind: 'serviceAccount', allowed: false },
    { role: 'NONE', kind: 'user', allowed: true },
  ],
};

describe('the access policy', () => {
  it('has a row of this table for every rule it names', () => {
    expect(Object.keys(rules).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected).flatMap(([rule, rows]) => rows.map((row) => ({ rule: rule as Rule, ...row }))))(
    '$rule: a $kind with $role is allowed: $allowed',
    ({ rule, role, kind, allowed }) => {
      expect(allows(principal(kind, [role]), rule)).toBe(allowed);
    },
  );

  it('refuses anonymous callers with 401 and others with 403 naming what is missing', () => {
    expect(refusal(null, 'readIssues')).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(refusal(principal('user', ['AUDITOR']), 'writeIssues')).toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
      message: 'Not authorized: requires the role ADMINISTRATOR or ISSUE_MANAGER',
    });
    expect(refusal(principal('serviceAccount', ['ADMINISTRATOR']), 'manageUsers')?.message).toBe(
      'Not authorized: service-account tokens cannot manage service accounts or users',
    );
  });

  it('lets an administrator grant the roles they hold, and AUDITOR', () => {
    expect(grantableRoles(principal('user', ['ADMINISTRATOR'])).sort()).toEqual(['ADMINISTRATOR', 'AUDITOR']);
    expect(grantableRoles(principal('user', ['ADMINISTRATOR', 'ISSUE_MANAGER'])).sort()).toEqual([
      'ADMINISTRATOR',
      'AUDITOR',
      'ISSUE_MANAGER',
    ]);
  });
});

describe.each(testProviders)('every transport answers with the policy’s refusal, on %s', (provider) => {
  let app: TestApp;
  let auditor: string;

  beforeAll(async () => {
    app = await startTestApp(provider);
    await app.createUser('policy.auditor', ['AUDITOR']);
    auditor = await app.login('policy.auditor', userPassword);
  });
  afterAll(() => app?.close());

  const asAuditor = () => principal('user', ['AUDITOR']);
  const cases: { rule: Rule; query: string }[] = [
    { rule: 'writeIssues', query: 'mutation { createIssue(input: { title: "x" }) { id } }' },
    { rule: 'manageUsers', query: '{ users { id } }' },
    { rule: 'manageServiceAccounts', query: '{ serviceAccounts { id } }' },
    { rule: 'readAuditEvents', query: '{ auditEvents { hasNextPage } }' },
  ];

  it.each(cases)('GraphQL refuses $rule as the policy words it', async ({ rule, query }) => {
    const { status, body } = await app.graphql(query, {}, auditor);
    const expectedError = refusal(asAuditor(), rule);
    expect({ status, code: body.errors?.[0]?.extensions?.code, message: body.errors?.[0]?.message }).toEqual({
      status: expectedError?.status,
      code: expectedError?.code,
      message: expectedError?.message,
    });
  });

  it('REST refuses anonymous readers as the policy words it, GraphQL alike', async () => {
    const rest = await app.fetch('/api/issues/getAll');
    const graphql = await app.graphql('{ issues { totalCount } }');
    const expectedError = refusal(null, 'readIssues');
    expect({ status: rest.status, body: await rest.json() }).toEqual({
      status: 401,
      body: { error: { code: expectedError?.code, message: expectedError?.message } },
    });
    expect(graphql.body.errors?.[0]?.message).toBe(expectedError?.message);
  });

  it('the services check the rule themselves, whatever the transport', async () => {
    const { createIssue } = await import('../../src/issues/service.ts');
    const { createUser } = await import('../../src/users/service.ts');
    const ctx = {
      db: app.db,
      auth: app.auth,
      config: app.config,
      log: { warn() {}, error() {}, info() {} } as never,
      clientIp: '127.0.0.1',
      requestId: 'policy-test',
    };
    await expect(createIssue({ ...ctx, principal: asAuditor() }, { title: 'x' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(
      createUser({ ...ctx, principal: principal('serviceAccount', ['ADMINISTRATOR']) }, {}),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(createUser({ ...ctx, principal: null }, {})).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
