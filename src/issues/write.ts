import { recordAudit } from '../audit/writer.ts';
import type { ServiceContext } from '../context.ts';
import type { Issue, Prisma } from '../db/types.ts';
import { IssueSeverity, IssueStatus } from '../db/types.ts';
import { BadUserInputError } from '../errors.ts';
import type { CreateInput } from './input.ts';
import { regscaleFieldNames, regscaleFields } from './regscale-fields.ts';
import { severityRank } from './severity.ts';

/**
 * What GraphQL asks of a row (Pothos's `query`: the relations to include),
 * so that a mutation reads its row once, with the change.
 */
export type IssueQuery = { include?: Prisma.IssueInclude; select?: Prisma.IssueSelect };

/**
 * The query with these columns too, when it selects columns (GraphQL loads only the columns a
 * request asks for): for what the service itself reads of the row.
 */
export function withColumns<Q extends IssueQuery>(query: Q, ...columns: (keyof Prisma.IssueSelect)[]): Q {
  if (!query.select) return query;
  return { ...query, select: { ...query.select, ...Object.fromEntries(columns.map((c) => [c, true])) } };
}

export async function checkOwner(ctx: ServiceContext, ownerId: string | null | undefined, field: string) {
  if (!ownerId) return;
  const owner = await ctx.db.user.findUnique({ where: { id: ownerId }, select: { id: true } });
  if (!owner) throw new BadUserInputError(`${field}: no such user`, field);
}

/** Who changed an issue: the user, or the service account acting for one. */
export function authorship(ctx: ServiceContext, kind: 'created' | 'lastUpdated') {
  const p = ctx.principal;
  const serviceAccountId = p?.kind === 'serviceAccount' ? p.serviceAccountId : null;
  const userId = p?.kind === 'user' ? p.userId : null;
  return kind === 'created'
    ? { createdById: userId, createdByServiceAccountId: serviceAccountId }
    : { lastUpdatedById: userId, lastUpdatedByServiceAccountId: serviceAccountId };
}

export type IssueDb = ServiceContext['db'];

/** The columns of RegScale's further fields that the input sets (null clears; booleans are never null). */
export function regscaleData(data: Partial<CreateInput>) {
  const out: Record<string, unknown> = {};
  for (const name of regscaleFieldNames) {
    const value = data[name];
    if (value === undefined) continue;
    if (value === null && regscaleFields[name] === 'boolean' && name !== 'bRiskAdjustment') continue;
    out[name] = value;
  }
  return out as Prisma.IssueUncheckedCreateInput;
}

/** Creates one issue from parsed input, with its audit event, on `db` (the database or a transaction). */
export async function insertIssue(
  ctx: ServiceContext,
  db: IssueDb,
  data: CreateInput,
  field: string,
  query: IssueQuery,
) {
  await checkOwner(ctx, data.issueOwnerId, `${field}.issueOwnerId`);
  const severityLevel = data.severityLevel ?? IssueSeverity.NOT_ASSIGNED;
  const status = data.status ?? IssueStatus.OPEN;
  const issue = await db.issue.create({
    ...(withColumns(query, 'id', 'title') as object),
    data: {
      ...regscaleData(data),
      title: data.title,
      description: data.description ?? null,
      severityLevel,
      severityRank: severityRank[severityLevel],
      status,
      dueDate: data.dueDate ?? null,
      dateCompleted: status === IssueStatus.CLOSED ? (data.dateCompleted ?? new Date()) : null,
      issueOwnerId: data.issueOwnerId ?? null,
      ...authorship(ctx, 'created'),
      ...authorship(ctx, 'lastUpdated'),
    },
  });
  await recordAudit(
    ctx,
    {
      action: 'issue.created',
      targetType: 'Issue',
      targetId: issue.id,
      details: { title: issue.title, severityLevel, status },
    },
    db,
  );
  return issue;
}

/** Changes one existing issue from parsed input, with its audit event, on `db`. */
export async function changeIssue(
  ctx: ServiceContext,
  db: IssueDb,
  existing: Issue,
  data: Partial<CreateInput>,
  field: string,
  query: IssueQuery,
) {
  if (data.title === null) throw new BadUserInputError(`${field}.title: must not be null`, `${field}.title`);
  await checkOwner(ctx, data.issueOwnerId, `${field}.issueOwnerId`);
  const changes: Prisma.IssueUncheckedUpdateInput = { ...regscaleData(data) };
  if (data.title !== undefined) changes.title = data.title;
  if (data.description !== undefined) changes.description = data.description;
  if (data.severityLevel) {
    changes.severityLevel = data.severityLevel;
    changes.severityRank = severityRank[data.severityLevel];
  }
  if (data.dateCompleted !== undefined) changes.dateCompleted = data.dateCompleted;
  if (data.status) {
    changes.status = data.status;
    // Closing keeps (or sets) a completion date; any other status has none.
    changes.dateCompleted =
      data.status === IssueStatus.CLOSED ? (data.dateCompleted ?? existing.dateCompleted ?? new Date()) : null;
  }
  if (data.dueDate !== undefined) changes.dueDate = data.dueDate;
  if (data.issueOwnerId !== undefined) changes.issueOwnerId = data.issueOwnerId;
  const issue = await db.issue.update({
    ...(withColumns(query, 'id') as object),
    where: { id: existing.id },
    data: { ...changes, ...authorship(ctx, 'lastUpdated') },
  });
  await recordAudit(
    ctx,
    {
      action: 'issue.updated',
      targetType: 'Issue',
      targetId: issue.id,
      details: { fields: Object.keys(changes).filter((k) => k !== 'severityRank') },
    },
    db,
  );
  return issue;
}
