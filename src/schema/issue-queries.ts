import { queryFromInfo } from '@pothos/plugin-prisma';
import { BadUserInputError } from '../errors.ts';
import { defaultPageSize, maxPageSize } from '../issues/input.ts';
import { type IssuePage, listIssues, offsetIssues } from '../issues/list.ts';
import * as issues from '../issues/service.ts';
import { filterFields, sortFields } from '../issues/where.ts';
import { builder } from './builder.ts';
import { askedColumnsOnly, IssueType, read, SeverityEnum, StatusEnum } from './issue.ts';
import { OrderDirectionEnum, PageInfo } from './pagination.ts';

const IssueEdge = builder.objectRef<{ cursor: string; node: object }>('IssueEdge').implement({
  description: 'An issue and its cursor.',
  fields: (t) => ({
    // Encoded only when selected (`edgeOf`).
    cursor: t.exposeString('cursor', { description: 'Opaque position of this edge, for after/before.' }),
    node: t.field({ type: IssueType, description: 'The issue.', resolve: (edge) => edge.node as never }),
  }),
});

const IssueConnection = builder.objectRef<IssuePage<object>>('IssueConnection').implement({
  description: 'A page of issues.',
  fields: (t) => ({
    edges: t.field({ type: [IssueEdge], description: 'The issues of this page.', resolve: (c) => c.edges }),
    items: t.field({
      type: [IssueType],
      description: 'The issues of this page, without cursors (RegScale’s collection-segment dialect).',
      resolve: (c) => c.edges.map((e) => e.node) as never,
    }),
    pageInfo: t.field({ type: PageInfo, description: 'Whether more pages exist.', resolve: (c) => c.pageInfo }),
    totalCount: t.int({
      description: 'How many issues match the filter in all (counted only when asked for).',
      resolve: (c) => c.totalCount(),
    }),
  }),
});

const IssueOrderFieldEnum = builder.enumType('IssueOrderField', {
  description: 'What to order issues by; ties are broken by id.',
  values: {
    DUE_DATE: { description: 'Due date; issues without one come last.' },
    SEVERITY: { description: 'Severity, HIGH first when ascending.' },
    CREATED_AT: { description: 'Creation time.' },
    UPDATED_AT: { description: 'Time of the last change.' },
    ID: { description: 'Id (creation order).' },
  } as const,
});

const IssueOrder = builder.inputType('IssueOrder', {
  description: 'How to order issues.',
  fields: (t) => ({
    field: t.field({ type: IssueOrderFieldEnum, required: true, description: 'The field to order by.' }),
    direction: t.field({ type: OrderDirectionEnum, defaultValue: 'ASC', description: 'The direction.' }),
  }),
});

const IssueFilter = builder.inputType('IssueFilter', {
  description: 'Which issues to list; all conditions must hold.',
  fields: (t) => ({
    status: t.field({ type: [StatusEnum], description: 'Any of these statuses.' }),
    severityLevel: t.field({ type: [SeverityEnum], description: 'Any of these severities.' }),
    issueOwnerId: t.id({ description: 'Owned by this user.' }),
    dueAfter: t.field({ type: 'DateTime', description: 'Due at or after this time.' }),
    dueBefore: t.field({ type: 'DateTime', description: 'Due at or before this time.' }),
    search: t.string({ description: 'Text found in the title or description (case-insensitive).' }),
  }),
});

const OperationInputs = {
  int: builder.inputType('IntOperationFilterInput', {
    description: 'Conditions on an integer field; all must hold.',
    fields: (t) => ({
      eq: t.int({ description: 'Equal to (null: has no value).' }),
      neq: t.int({ description: 'Not equal to (null: has a value).' }),
      in: t.intList({ description: 'Any of these (at most 100).' }),
      gt: t.int({ description: 'Greater than.' }),
      gte: t.int({ description: 'Greater than or equal to.' }),
      lt: t.int({ description: 'Less than.' }),
      lte: t.int({ description: 'Less than or equal to.' }),
    }),
  }),
  string: builder.inputType('StringOperationFilterInput', {
    description:
      'Conditions on a text field; all must hold. On `status` and `severityLevel` only eq, neq and in, with RegScale’s values.',
    fields: (t) => ({
      eq: t.string({ description: 'Equal to (null: has no value).' }),
      neq: t.string({ description: 'Not equal to (null: has a value).' }),
      in: t.stringList({ description: 'Any of these (at most 100).' }),
      contains: t.string({ description: 'Contains this text (case-insensitive).' }),
    }),
  }),
  date: builder.inputType('DateTimeOperationFilterInput', {
    description: 'Conditions on a date-time field; all must hold.',
    fields: (t) => ({
      eq: t.field({ type: 'DateTime', description: 'Equal to (null: has no value).' }),
      neq: t.field({ type: 'DateTime', description: 'Not equal to (null: has a value).' }),
      in: t.field({ type: ['DateTime'], description: 'Any of these (at most 100).' }),
      gt: t.field({ type: 'DateTime', description: 'After.' }),
      gte: t.field({ type: 'DateTime', description: 'At or after.' }),
      lt: t.field({ type: 'DateTime', description: 'Before.' }),
      lte: t.field({ type: 'DateTime', description: 'At or before.' }),
    }),
  }),
  boolean: builder.inputType('BooleanOperationFilterInput', {
    description: 'Conditions on a true/false field.',
    fields: (t) => ({
      eq: t.boolean({ description: 'Equal to.' }),
      neq: t.boolean({ description: 'Not equal to.' }),
    }),
  }),
};

const operationInputOf = { ...OperationInputs, severity: OperationInputs.string, status: OperationInputs.string };

const IssueFilterInput = builder.inputRef<Record<string, unknown>>('IssueFilterInput').implement({
  description:
    'RegScale’s (HotChocolate’s) filter: each field’s conditions must hold; `and` all of a list, `or` one of it. Fields under RegScale’s names.',
  fields: (t) => ({
    and: t.field({ type: [IssueFilterInput], description: 'Every one of these must hold.' }),
    or: t.field({ type: [IssueFilterInput], description: 'At least one of these must hold.' }),
    ...Object.fromEntries(
      Object.entries(filterFields).map(([name, { kind }]) => [
        name,
        t.field({ type: operationInputOf[kind] as never, description: `Conditions on \`${name}\`.` }),
      ]),
    ),
  }),
});

const IssueSortInput = builder.inputType('IssueSortInput', {
  description: 'RegScale’s (HotChocolate’s) ordering: one field per entry; ties are broken by id.',
  fields: (t) =>
    Object.fromEntries(
      Object.keys(sortFields).map((name) => [
        name,
        t.field({ type: OrderDirectionEnum, description: `Order by \`${name}\`.` }),
      ]),
    ),
});

/**
 * Which dialect an `issues` call speaks. `skip: 0` goes with either,
 * because RegScale's client adds it to every query that lacks `skip`.
 */
function dialectOf(args: Record<string, unknown>): 'relay' | 'offset' {
  const relay = ['first', 'after', 'last', 'before', 'filter', 'orderBy'].filter((k) => args[k] != null);
  const offset = ['take', 'where', 'order'].filter((k) => args[k] != null);
  if (args.skip != null && args.skip !== 0) offset.push('skip');
  if (relay.length > 0 && offset.length > 0) {
    throw new BadUserInputError(
      `issues: ${offset[0]} (skip/take/where/order) cannot be used with ${relay[0]} (first/after/last/before/filter/orderBy)`,
      offset[0],
    );
  }
  return relay.length > 0 || (offset.length === 0 && args.skip == null) ? 'relay' : 'offset';
}

builder.queryFields((t) => ({
  issue: t.prismaField({
    type: 'Issue',
    description: 'One issue by id. NOT_FOUND when there is none.',
    authScopes: read,
    args: { id: t.arg.id({ required: true, description: 'The issue id.' }) },
    resolve: (query, _root, { id }, ctx) => issues.getIssue(ctx, id, query),
  }),
  issues: t.field({
    type: IssueConnection,
    description: `A page of issues, in either of two dialects. Relay cursor connection: \`first\`/\`after\` forwards, \`last\`/\`before\` backwards, with \`filter\` and \`orderBy\`. RegScale's (HotChocolate's) collection segment: \`skip\`/\`take\` offset paging with \`where\` and \`order\`. At most ${maxPageSize} a page (default ${defaultPageSize}). The two dialects' arguments cannot be mixed (BAD_USER_INPUT), except \`skip: 0\`, which goes with either. \`edges\` and \`items\` answer in both.`,
    authScopes: read,
    args: {
      first: t.arg.int({ description: `Issues after \`after\` (0 to ${maxPageSize}).` }),
      after: t.arg.string({ description: 'Cursor to start after.' }),
      last: t.arg.int({ description: `Issues before \`before\` (0 to ${maxPageSize}).` }),
      before: t.arg.string({ description: 'Cursor to end before.' }),
      filter: t.arg({ type: IssueFilter, description: 'Which issues.' }),
      orderBy: t.arg({ type: IssueOrder, description: 'Order; default by id ascending.' }),
      skip: t.arg.int({ description: 'Issues to pass over (RegScale dialect; offset paging).' }),
      take: t.arg.int({ description: `Issues in the page, 0 to ${maxPageSize} (RegScale dialect).` }),
      where: t.arg({ type: IssueFilterInput, description: 'Which issues (RegScale dialect).' }),
      order: t.arg({ type: [IssueSortInput], description: 'Order; default by id ascending (RegScale dialect).' }),
    },
    resolve: (_root, args, ctx, info) => {
      const dialect = dialectOf(args);
      // The selection below the nodes, so relations load with the page, not per issue.
      const nodes = (path: string[]) =>
        askedColumnsOnly(queryFromInfo({ context: ctx, info, typeName: 'Issue', path }), info, path);
      const selected = new Set(
        info.fieldNodes
          .flatMap((n) => n.selectionSet?.selections ?? [])
          .map((s) => (s.kind === 'Field' ? s.name.value : '')),
      );
      const query = selected.has('items') && !selected.has('edges') ? nodes(['items']) : nodes(['edges', 'node']);
      if (dialect === 'offset') {
        return offsetIssues(ctx, { skip: args.skip, take: args.take, where: args.where, order: args.order }, query);
      }
      return listIssues(
        ctx,
        {
          ...args,
          orderBy: args.orderBy ? { field: args.orderBy.field, direction: args.orderBy.direction ?? 'ASC' } : null,
        },
        query,
      );
    },
  }),
}));
