import { collectFields } from '@graphql-tools/utils';
import { type FieldNode, type GraphQLObjectType, type GraphQLResolveInfo, getNamedType, isObjectType } from 'graphql';
import type { Issue } from '../db/types.ts';
import { IssueSeverity, IssueStatus } from '../db/types.ts';
import { type FieldKind, regscaleFieldNames, regscaleFields } from '../issues/regscale-fields.ts';
import { severityLabel, statusLabel } from '../issues/regscale-values.ts';
import { builder } from './builder.ts';

export const read = { can: 'readIssues' } as const;
export const write = { can: 'writeIssues' } as const;

export const SeverityEnum = builder.enumType('IssueSeverity', {
  description: 'Severity of an issue, as RegScale grades findings.',
  values: {
    CRITICAL: { value: IssueSeverity.CRITICAL, description: '0 - Critical - Critical Deficiency.' },
    HIGH: { value: IssueSeverity.HIGH, description: 'I - High - Significant Deficiency.' },
    MODERATE: { value: IssueSeverity.MODERATE, description: 'II - Moderate - Reportable Condition.' },
    LOW: { value: IssueSeverity.LOW, description: 'III - Low - Other Weakness.' },
    NOT_ASSIGNED: { value: IssueSeverity.NOT_ASSIGNED, description: 'IV - Not Assigned.' },
  } as const,
});

const statusDescriptions: Record<IssueStatus, string> = {
  DRAFT: 'Being written; not yet raised.',
  PENDING_SCREENING: 'Raised; awaits screening.',
  OPEN: 'Raised and being worked on.',
  PENDING_VERIFICATION: 'Fixed; the fix awaits verification.',
  CLOSED: 'Resolved.',
  CANCELLED: 'Withdrawn without resolution.',
  PENDING_DECOMMISSION: 'Resolved by decommissioning what is affected, once that is done.',
  SUPPLY_CHAIN_DEPENDENCY: 'Waits on the supply chain or procurement.',
  VENDOR_DEPENDENCY: 'Waits on a vendor’s fix.',
  DELAYED: 'Past its plan; delayed.',
  EXCEPTION_WAIVER: 'Accepted under an exception or waiver.',
  PENDING_APPROVAL: 'Awaits approval.',
};

export const StatusEnum = builder.enumType('IssueStatus', {
  description: 'Life cycle of an issue (RegScale’s statuses; `Issue.status` answers RegScale’s spelling of each).',
  values: Object.fromEntries(
    Object.values(IssueStatus).map((value) => [
      value,
      { value, description: `${statusLabel[value]}: ${statusDescriptions[value]}` },
    ]),
  ) as Record<IssueStatus, { value: IssueStatus; description: string }>,
});

export const graphqlTypeOf = {
  int: 'Int',
  string: 'String',
  date: 'DateTime',
  boolean: 'Boolean',
} as const satisfies Record<FieldKind, string>;
/** Booleans RegScale's record always holds (stored with a default). */
const alwaysSet = new Set(['isPublic', 'isPoam']);

/**
 * The column each of Issue's own fields answers from. The type's select reads all of them, so
 * that every resolver that returns an issue has them; a page narrows them to what its nodes
 * ask for (`askedColumnsOnly`).
 */
const ownColumnOf = {
  id: 'id',
  uuid: 'uuid',
  title: 'title',
  severityLevel: 'severityLevel',
  severity: 'severityLevel',
  status: 'status',
  issueStatus: 'status',
  dueDate: 'dueDate',
  dateCompleted: 'dateCompleted',
  issueOwnerId: 'issueOwnerId',
  createdById: 'createdById',
  lastUpdatedById: 'lastUpdatedById',
  createdByServiceAccountId: 'createdByServiceAccountId',
  lastUpdatedByServiceAccountId: 'lastUpdatedByServiceAccountId',
  createdAt: 'createdAt',
  updatedAt: 'updatedAt',
  dateCreated: 'createdAt',
  dateLastUpdated: 'updatedAt',
} as const satisfies Record<string, keyof Issue>;
const ownColumns: ReadonlySet<string> = new Set(Object.values(ownColumnOf));

/**
 * A page's query (from `queryFromInfo` at `path` below the field `info` resolves) with only
 * the own columns its issues ask for, and `id`: the Issue type reads all of its own columns,
 * and Prisma's row mapping costs by the column (a page of 50 with five fields: 14 columns
 * cost 12–15 % more CPU than 5). Fragments, aliases and `@skip`/`@include` count as graphql
 * executes them; other columns and relations stay as Pothos planned them.
 */
export function askedColumnsOnly<Q extends { select?: object }>(query: Q, info: GraphQLResolveInfo, path: string[]): Q {
  if (!query.select) return query;
  // graphql-tools reads `coerced` on graphql 16 (17 also keeps each value's source).
  const variables = { coerced: info.variableValues, sources: {} };
  // The fields selected below `nodes` (of `type`). collectFields, not the memoised
  // collectSubFields: its cache is keyed by this request's objects, so it would never hit.
  const below = (type: GraphQLObjectType, nodes: readonly FieldNode[]) =>
    nodes.flatMap((node) =>
      node.selectionSet
        ? [...collectFields(info.schema, info.fragments, variables, type, node.selectionSet).fields.values()].flat()
        : [],
    );
  let type = getNamedType(info.returnType);
  let nodes: readonly FieldNode[] = info.fieldNodes;
  for (const name of path) {
    const field = isObjectType(type) ? type.getFields()[name] : undefined;
    if (!isObjectType(type) || !field) return query;
    nodes = below(type, nodes).filter((node) => node.name.value === name);
    type = getNamedType(field.type);
  }
  if (!isObjectType(type) || nodes.length === 0) return query;
  const asked = new Set<string>(['id']);
  for (const node of below(type, nodes)) {
    const column = ownColumnOf[node.name.value as keyof typeof ownColumnOf];
    if (column) asked.add(column);
  }
  const select = Object.fromEntries(
    Object.entries(query.select).filter(([key]) => !ownColumns.has(key) || asked.has(key)),
  );
  return { ...query, select };
}

/**
 * No type-level scope: re-checking `read` on every field of every node costs more than the page
 * itself. Every field that answers issues asks `read` or `write` itself (and the service asks the
 * access policy again); test/schema/issue-scopes.test.ts fails on a field that does not.
 */
export const IssueType = builder.prismaObject('Issue', {
  description: 'A GRC issue (finding), modelled on RegScale’s issue record.',
  // The record's own columns are always read, and answered by plain resolvers: a field with a
  // select of its own (every `expose` in select mode) is looked up in Pothos's loader mapping for
  // every row, which cost more than reading these small columns. The long text and RegScale's
  // ~70 other columns are read only when asked for.
  select: {
    id: true,
    uuid: true,
    title: true,
    severityLevel: true,
    status: true,
    dueDate: true,
    dateCompleted: true,
    issueOwnerId: true,
    createdById: true,
    lastUpdatedById: true,
    createdByServiceAccountId: true,
    lastUpdatedByServiceAccountId: true,
    createdAt: true,
    updatedAt: true,
  },
  fields: (t) => ({
    id: t.id({ description: 'Numeric identifier.', resolve: (issue) => issue.id }),
    uuid: t.string({ description: 'Globally unique identifier.', resolve: (issue) => issue.uuid }),
    title: t.string({ description: 'Short statement of the issue.', resolve: (issue) => issue.title }),
    description: t.exposeString('description', { nullable: true, description: 'Details of the issue.' }),
    severityLevel: t.string({
      description:
        'How severe the issue is, as RegScale spells it (`I - High - Significant Deficiency`, …). Typed: `severity`.',
      resolve: (issue) => severityLabel[issue.severityLevel],
    }),
    severity: t.field({
      type: SeverityEnum,
      description: 'How severe the issue is (typed).',
      resolve: (issue) => issue.severityLevel,
    }),
    status: t.string({
      description:
        'Where the issue is in its life cycle, as RegScale spells it (`Open`, `Closed`, …). Typed: `issueStatus`.',
      resolve: (issue) => statusLabel[issue.status],
    }),
    issueStatus: t.field({
      type: StatusEnum,
      description: 'Where the issue is in its life cycle (typed).',
      resolve: (issue) => issue.status,
    }),
    dueDate: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it must be resolved.',
      resolve: (issue) => issue.dueDate,
    }),
    dateCompleted: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it was closed.',
      resolve: (issue) => issue.dateCompleted,
    }),
    issueOwner: t.relation('issueOwner', { nullable: true, description: 'The user responsible for resolving it.' }),
    createdBy: t.relation('createdBy', {
      nullable: true,
      description: 'The user who created it (null when a service account did).',
    }),
    lastUpdatedBy: t.relation('lastUpdatedBy', {
      nullable: true,
      description: 'The user who changed it last (null when a service account did).',
    }),
    createdByServiceAccountId: t.int({
      nullable: true,
      description: 'The service account that created it, if one did.',
      resolve: (issue) => issue.createdByServiceAccountId,
    }),
    lastUpdatedByServiceAccountId: t.int({
      nullable: true,
      description: 'The service account that changed it last, if one did.',
      resolve: (issue) => issue.lastUpdatedByServiceAccountId,
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was created.', resolve: (issue) => issue.createdAt }),
    updatedAt: t.field({
      type: 'DateTime',
      description: 'When it was last changed.',
      resolve: (issue) => issue.updatedAt,
    }),
    // RegScale's names for what the fields above hold.
    issueOwnerId: t.id({
      nullable: true,
      description: 'The owner’s user id (RegScale’s name).',
      resolve: (issue) => issue.issueOwnerId,
    }),
    createdById: t.id({
      nullable: true,
      description: 'The creator’s user id; null when a service account created it (RegScale’s name).',
      resolve: (issue) => issue.createdById,
    }),
    lastUpdatedById: t.id({
      nullable: true,
      description: 'The user id of the last change; null when a service account made it (RegScale’s name).',
      resolve: (issue) => issue.lastUpdatedById,
    }),
    dateCreated: t.field({
      type: 'DateTime',
      description: 'When it was created (RegScale’s name).',
      resolve: (issue) => issue.createdAt,
    }),
    dateLastUpdated: t.field({
      type: 'DateTime',
      description: 'When it was last changed (RegScale’s name).',
      resolve: (issue) => issue.updatedAt,
    }),
    ...Object.fromEntries(
      regscaleFieldNames.map((name) => [
        name,
        t.field({
          type: graphqlTypeOf[regscaleFields[name]],
          nullable: !alwaysSet.has(name) as true,
          description: `RegScale’s \`${name}\`.`,
          select: { [name]: true },
          resolve: (issue) => (issue as unknown as Issue)[name] as never,
        }),
      ]),
    ),
  }),
});
