import { readFileSync } from 'node:fs';
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../codegen.ts';
import { schemaChanges } from '../../src/schema/breaking-changes.ts';
import { schema } from '../../src/schema/index.ts';
import { printedSchema, schemaFile } from '../../src/schema/print.ts';
import {
  CreateIssueDocument,
  CreateServiceAccountDocument,
  IssuePageDocument,
  LoginDocument,
  MeDocument,
} from '../generated/operations.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { testProviders } from '../support/databases.ts';

describe('the GraphQL contract', () => {
  it('schema.graphql is what the code builds (npm run schema:print)', () => {
    expect(readFileSync(schemaFile, 'utf8')).toBe(printedSchema());
  });

  it('describes every type, field, argument and enum value', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) {
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type)) {
        for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('has generated operations that are current (npm run codegen)', async () => {
    for (const [file, contents] of await generate()) {
      expect({ file, current: readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8') === contents }).toEqual({
        file,
        current: true,
      });
    }
  });

  it('grades changes: removals break clients, additions do not', async () => {
    const before = 'type Query { issue(id: ID!): Issue } type Issue { id: ID! title: String! }';
    const removed = await schemaChanges(before, 'type Query { issue(id: ID!): Issue } type Issue { id: ID! }');
    expect(removed.map((c) => c.level)).toEqual(['BREAKING']);
    expect(removed[0]?.message).toContain('title');
    const added = await schemaChanges(
      before,
      'type Query { issue(id: ID!): Issue } type Issue { id: ID! title: String! dueDate: String }',
    );
    expect(added.map((c) => c.level)).toEqual(['NON_BREAKING']);
    const retyped = await schemaChanges(
      before,
      'type Query { issue(id: ID!): Issue } type Issue { id: ID! title: Int! }',
    );
    expect(retyped.map((c) => c.level)).toEqual(['BREAKING']);
    expect(await schemaChanges(printedSchema(), printedSchema())).toEqual([]);
  });
});

describe.each(testProviders)('typed operations on %s', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(provider);
  });
  afterAll(() => app.close());

  it('run against the server with the types the contract gives them', async () => {
    const login = await app.request(LoginDocument, { userName: adminUserName, password: adminPassword });
    const token = login.body.data?.login.token ?? '';
    expect(login.body.data?.login.user.roles).toEqual(['ADMINISTRATOR']);
    const me = await app.request(MeDocument, {}, token);
    expect(me.body.data?.me.kind).toBe('USER');
    const created = await app.request(
      CreateIssueDocument,
      { input: { title: 'Typed finding', severityLevel: 'HIGH', dueDate: '2027-03-01T00:00:00.000Z' } },
      token,
    );
    expect(created.body.data?.createIssue).toMatchObject({
      title: 'Typed finding',
      // RegScale's spellings under RegScale's names; the typed enums beside them.
      severityLevel: 'I - High - Significant Deficiency',
      status: 'Open',
      severity: 'HIGH',
      issueStatus: 'OPEN',
      dueDate: '2027-03-01T00:00:00.000Z',
      createdBy: { userName: adminUserName },
    });
    const sa = await app.request(
      CreateServiceAccountDocument,
      { input: { durationDays: 3, purpose: 'Typed client', roles: ['AUDITOR'] } },
      token,
    );
    const page = await app.request(
      IssuePageDocument,
      { first: 10, filter: { severityLevel: ['HIGH'] }, orderBy: { field: 'DUE_DATE', direction: 'ASC' } },
      sa.body.data?.createServiceAccount.token,
    );
    expect(page.body.data?.issues.totalCount).toBe(1);
    expect(page.body.data?.issues.edges[0]?.node.title).toBe('Typed finding');
  });
});
