import { queryFromInfo } from '@pothos/plugin-prisma';
import { IssueSeverity, IssueStatus } from '../db/types.ts';
import { defaultPageSize, maxPageSize } from '../issues/input.ts';
import { type IssuePage, listIssues } from '../issues/list.ts';
import * as issues from '../issues/service.ts';
import { builder } from './builder.ts';

const read = { can: 'readIssues' } as const;
const write = { can: 'writeIssues' } as const;

const SeverityEnum = builder.enumType('IssueSeverity', {
  description: 'Severity of an issue, as RegScale grades findings.',
  values: {
    HIGH: { value: IssueSeverity.HIGH, description: 'I - High - Significant Deficiency.' },
    MODERATE: { value: IssueSeverity.MODERATE, description: 'II - Moderate - Reportable Condition.' },
    LOW: { value: IssueSeverity.LOW, description: 'III - Low - Other Weakness.' },
    NOT_ASSIGNED: { value: IssueSeverity.NOT_ASSIGNED, description: 'IV - Not Assigned.' },
  } as const,
});

const StatusEnum = builder.enumType('IssueStatus', {
  description: 'Life cycle of an issue.',
  values: {
    DRAFT: { value: IssueStatus.DRAFT, description: 'Being written; not yet raised.' },
    OPEN: { value: IssueStatus.OPEN, description: 'Raised and being worked on.' },
    PENDING_VERIFICATION: {
      value: IssueStatus.PENDING_VERIFICATION,
      description: 'Fixed; the fix awaits verification.',
    },
    CLOSED: { value: IssueStatus.CLOSED, description: 'Resolved.' },
    CANCELLED: { value: IssueStatus.CANCELLED, description: 'Withdrawn without resolution.' },
  } as const,
});

export const IssueType = builder.prismaObject('Issue', {
  description: 'A GRC issue (finding), modelled on RegScale’s issue record.',
  authScopes: read,
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Numeric identifier.' }),
    uuid: t.exposeString('uuid', { description: 'Globally unique identifier.' }),
    title: t.exposeString('title', { description: 'Short statement of the issue.' }),
    description: t.exposeString('description', { nullable: true, description: 'Details of the issue.' }),
    severityLevel: t.expose('severityLevel', { type: SeverityEnum, description: 'How severe the issue is.' }),
    status: t.expose('status', { type: StatusEnum, description: 'Where the issue is in its life cycle.' }),
    dueDate: t.expose('dueDate', { type: 'DateTime', nullable: true, description: 'When it must be resolved.' }),
    dateCompleted: t.expose('dateCompleted', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was closed.',
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
    createdByServiceAccountId: t.exposeInt('createdByServiceAccountId', {
      nullable: true,
      description: 'The service account that created it, if one did.',
    }),
    lastUpdatedByServiceAccountId: t.exposeInt('lastUpdatedByServiceAccountId', {
      nullable: true,
      description: 'The service account that changed it last, if one did.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it was last changed.' }),
  }),
});

const PageInfo = builder
  .objectRef<{ hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null }>(
    'PageInfo',
  )
  .implement({
    description: 'Where a page lies in the list (Relay cursor connections).',
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage', { description: 'More items follow the last edge.' }),
      hasPreviousPage: t.exposeBoolean('hasPreviousPage', { description: 'More items precede the first edge.' }),
      startCursor: t.exposeString('startCursor', { nullable: true, description: 'Cursor of the first edge.' }),
      endCursor: t.exposeString('endCursor', { nullable: true, description: 'Cursor of the last edge.' }),
    }),
  });

const IssueEdge = builder.objectRef<{ cursor: string; node: object }>('IssueEdge').implement({
  description: 'An issue and its cursor.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Opaque position of this edge, for after/before.' }),
    node: t.field({ type: IssueType, description: 'The issue.', resolve: (edge) => edge.node as never }),
  }),
});

const IssueConnection = builder.objectRef<IssuePage<object>>('IssueConnection').implement({
  description: 'A page of issues.',
  fields: (t) => ({
    edges: t.field({ type: [IssueEdge], description: 'The issues of this page.', resolve: (c) => c.edges }),
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

const OrderDirectionEnum = builder.enumType('OrderDirection', {
  description: 'Ascending or descending.',
  values: { ASC: { description: 'Smallest first.' }, DESC: { description: 'Largest first.' } } as const,
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
    description: `A page of issues (Relay cursor connection): \`first\`/\`after\` forwards, \`last\`/\`before\` backwards, at most ${maxPageSize} a page (default ${defaultPageSize}).`,
    authScopes: read,
    args: {
      first: t.arg.int({ description: `Issues after \`after\` (0 to ${maxPageSize}).` }),
      after: t.arg.string({ description: 'Cursor to start after.' }),
      last: t.arg.int({ description: `Issues before \`before\` (0 to ${maxPageSize}).` }),
      before: t.arg.string({ description: 'Cursor to end before.' }),
      filter: t.arg({ type: IssueFilter, description: 'Which issues.' }),
      orderBy: t.arg({ type: IssueOrder, description: 'Order; default by id ascending.' }),
    },
    resolve: (_root, args, ctx, info) =>
      listIssues(
        ctx,
        {
          ...args,
          orderBy: args.orderBy ? { field: args.orderBy.field, direction: args.orderBy.direction ?? 'ASC' } : null,
        },
        // The selection below edges.node, so relations load with the page, not per issue.
        queryFromInfo({ context: ctx, info, typeName: 'Issue', path: ['edges', 'node'] }),
      ),
  }),
}));

const CreateIssueInput = builder.inputType('CreateIssueInput', {
  description: 'A new issue. Who created it and when are set by the server.',
  fields: (t) => ({
    title: t.string({ required: true, description: '1 to 300 characters.' }),
    description: t.string({ description: 'Up to 20000 characters.' }),
    severityLevel: t.field({ type: SeverityEnum, description: 'Default NOT_ASSIGNED.' }),
    status: t.field({ type: StatusEnum, description: 'Default OPEN.' }),
    dueDate: t.field({ type: 'DateTime', description: 'When it must be resolved.' }),
    issueOwnerId: t.id({ description: 'The responsible user.' }),
  }),
});

const UpdateIssueInput = builder.inputType('UpdateIssueInput', {
  description: 'Changes to an issue; omitted fields stay as they are, null clears optional ones.',
  fields: (t) => ({
    title: t.string({ description: '1 to 300 characters.' }),
    description: t.string({ description: 'Up to 20000 characters.' }),
    severityLevel: t.field({ type: SeverityEnum, description: 'New severity.' }),
    status: t.field({ type: StatusEnum, description: 'New status; CLOSED sets dateCompleted.' }),
    dueDate: t.field({ type: 'DateTime', description: 'New due date.' }),
    dateCompleted: t.field({ type: 'DateTime', description: 'When it was completed.' }),
    issueOwnerId: t.id({ description: 'The responsible user.' }),
  }),
});

const issueId = { description: 'The issue id.' } as const;

builder.mutationFields((t) => ({
  createIssue: t.prismaField({
    type: 'Issue',
    description: 'Creates an issue.',
    authScopes: write,
    args: { input: t.arg({ type: CreateIssueInput, required: true, description: 'The new issue.' }) },
    resolve: (query, _root, { input }, ctx) => {
      return issues.createIssue(ctx, input, query);
    },
  }),
  updateIssue: t.prismaField({
    type: 'Issue',
    description: 'Changes an issue.',
    authScopes: write,
    args: {
      id: t.arg.id({ required: true, ...issueId }),
      input: t.arg({ type: UpdateIssueInput, required: true, description: 'The changes.' }),
    },
    resolve: (query, _root, { id, input }, ctx) => {
      return issues.updateIssue(ctx, id, input, query);
    },
  }),
  closeIssue: t.prismaField({
    type: 'Issue',
    description: 'Closes an issue: status CLOSED, completed now.',
    authScopes: write,
    args: { id: t.arg.id({ required: true, ...issueId }) },
    resolve: (query, _root, { id }, ctx) => {
      return issues.setIssueClosed(ctx, id, true, query);
    },
  }),
  reopenIssue: t.prismaField({
    type: 'Issue',
    description: 'Reopens an issue: status OPEN, no completion date.',
    authScopes: write,
    args: { id: t.arg.id({ required: true, ...issueId }) },
    resolve: (query, _root, { id }, ctx) => {
      return issues.setIssueClosed(ctx, id, false, query);
    },
  }),
  deleteIssue: t.id({
    description: 'Deletes an issue; answers its id.',
    authScopes: write,
    args: { id: t.arg.id({ required: true, ...issueId }) },
    resolve: (_root, { id }, ctx) => issues.deleteIssue(ctx, id),
  }),
}));
