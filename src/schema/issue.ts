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
 * No type-level scope: re-checking `read` on every field of every node costs more than the page
 * itself. Every field that answers issues asks `read` or `write` itself (and the service asks the
 * access policy again); test/schema/issue-scopes.test.ts fails on a field that does not.
 */
export const IssueType = builder.prismaObject('Issue', {
  description: 'A GRC issue (finding), modelled on RegScale’s issue record.',
  // Only the columns a request asks for are read (exposed fields select their own). The two
  // labels' columns are always read: a field with a select of its own is re-planned for every
  // row (Pothos's loader mapping), which cost more than two small columns.
  select: { id: true, severityLevel: true, status: true },
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Numeric identifier.' }),
    uuid: t.exposeString('uuid', { description: 'Globally unique identifier.' }),
    title: t.exposeString('title', { description: 'Short statement of the issue.' }),
    description: t.exposeString('description', { nullable: true, description: 'Details of the issue.' }),
    severityLevel: t.string({
      description:
        'How severe the issue is, as RegScale spells it (`I - High - Significant Deficiency`, …). Typed: `severity`.',
      resolve: (issue) => severityLabel[issue.severityLevel],
    }),
    severity: t.expose('severityLevel', { type: SeverityEnum, description: 'How severe the issue is (typed).' }),
    status: t.string({
      description:
        'Where the issue is in its life cycle, as RegScale spells it (`Open`, `Closed`, …). Typed: `issueStatus`.',
      resolve: (issue) => statusLabel[issue.status],
    }),
    issueStatus: t.expose('status', { type: StatusEnum, description: 'Where the issue is in its life cycle (typed).' }),
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
    // RegScale's names for what the fields above hold.
    issueOwnerId: t.exposeID('issueOwnerId', { nullable: true, description: 'The owner’s user id (RegScale’s name).' }),
    createdById: t.exposeID('createdById', {
      nullable: true,
      description: 'The creator’s user id; null when a service account created it (RegScale’s name).',
    }),
    lastUpdatedById: t.exposeID('lastUpdatedById', {
      nullable: true,
      description: 'The user id of the last change; null when a service account made it (RegScale’s name).',
    }),
    dateCreated: t.expose('createdAt', { type: 'DateTime', description: 'When it was created (RegScale’s name).' }),
    dateLastUpdated: t.expose('updatedAt', {
      type: 'DateTime',
      description: 'When it was last changed (RegScale’s name).',
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
