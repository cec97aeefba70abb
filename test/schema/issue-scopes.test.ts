import { type GraphQLField, type GraphQLNamedType, getNamedType, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.ts';

/** The object types reachable from a type through its fields. */
function reachable(from: GraphQLNamedType, seen = new Set<string>()): Set<string> {
  if (seen.has(from.name) || !isObjectType(from)) return seen;
  seen.add(from.name);
  for (const field of Object.values(from.getFields())) reachable(getNamedType(field.type), seen);
  return seen;
}

const scopesOf = (field: GraphQLField<unknown, unknown>) =>
  (field.extensions as { pothosOptions?: { authScopes?: { can?: string } } }).pothosOptions?.authScopes;

// The Issue type has no type-level scope (a per-node re-check costs more than the page): the
// root fields that answer issues carry it instead, and this test keeps it so.
describe('the scope of every field that answers issues', () => {
  const roots = [schema.getQueryType(), schema.getMutationType()].flatMap((t) => (t ? [t] : []));
  const answering = roots.flatMap((root) =>
    Object.values(root.getFields())
      .filter((field) => reachable(getNamedType(field.type)).has('Issue'))
      .map((field) => [`${root.name}.${field.name}`, field] as const),
  );

  it('finds the fields (issue, issues and the issue mutations)', () => {
    expect(answering.map(([name]) => name)).toEqual(
      expect.arrayContaining(['Query.issue', 'Query.issues', 'Mutation.createIssue', 'Mutation.updateIssue']),
    );
  });

  it.each(answering)('%s asks readIssues or writeIssues', (_name, field) => {
    expect(['readIssues', 'writeIssues']).toContain(scopesOf(field)?.can);
  });
});
