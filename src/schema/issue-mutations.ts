import { regscaleFieldNames, regscaleFields } from '../issues/regscale-fields.ts';
import * as issues from '../issues/service.ts';
import { builder } from './builder.ts';
import { graphqlTypeOf, SeverityEnum, StatusEnum, write } from './issue.ts';

const CreateIssueInput = builder.inputType('CreateIssueInput', {
  description: 'A new issue. Who created it and when are set by the server.',
  fields: (t) => ({
    title: t.string({ required: true, description: '1 to 300 characters.' }),
    description: t.string({ description: 'Up to 20000 characters.' }),
    severityLevel: t.field({ type: SeverityEnum, description: 'Default NOT_ASSIGNED.' }),
    status: t.field({ type: StatusEnum, description: 'Default OPEN.' }),
    dueDate: t.field({ type: 'DateTime', description: 'When it must be resolved.' }),
    issueOwnerId: t.id({ description: 'The responsible user.' }),
    ...regscaleInputFields(t),
  }),
});

/** RegScale's further fields as optional inputs (null clears one). */
function regscaleInputFields(t: { field: (options: { type: never; description: string }) => unknown }) {
  return Object.fromEntries(
    regscaleFieldNames.map((name) => [
      name,
      t.field({ type: graphqlTypeOf[regscaleFields[name]] as never, description: `RegScale’s \`${name}\`.` }),
    ]),
  ) as Record<string, never>;
}

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
    ...regscaleInputFields(t),
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
