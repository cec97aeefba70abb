import { authorize } from '../access/policy.ts';
import { recordAudit } from '../audit/writer.ts';
import type { ServiceContext } from '../context.ts';
import type { Prisma } from '../db/types.ts';
import { IssueSeverity, IssueStatus } from '../db/types.ts';
import { BadUserInputError, NotFoundError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { createInput, pageParams, parseIssueId, updateInput } from './input.ts';
import { severityRank } from './severity.ts';

/**
 * What GraphQL asks of a row (Pothos's `query`: the relations to include),
 * so that a mutation reads its row once, with the change.
 */
export type IssueQuery = { include?: Prisma.IssueInclude; select?: Prisma.IssueSelect };

async function findIssue(ctx: ServiceContext, id: unknown) {
  const issueId = parseIssueId(id);
  const issue = await ctx.db.issue.findUnique({ where: { id: issueId } });
  if (!issue) throw new NotFoundError(`Issue ${issueId} not found`);
  return issue;
}

/** One issue; NOT_FOUND when it does not exist. */
export async function getIssue(ctx: ServiceContext, id: unknown, query: IssueQuery = {}) {
  authorize(ctx.principal, 'readIssues');
  const issueId = parseIssueId(id);
  const issue = await ctx.db.issue.findUnique({ ...(query as object), where: { id: issueId } });
  if (!issue) throw new NotFoundError(`Issue ${issueId} not found`);
  return issue;
}

async function checkOwner(ctx: ServiceContext, ownerId: string | null | undefined, field: string) {
  if (!ownerId) return;
  const owner = await ctx.db.user.findUnique({ where: { id: ownerId }, select: { id: true } });
  if (!owner) throw new BadUserInputError(`${field}: no such user`, field);
}

/** Who changed an issue: the user, or the service account acting for one. */
function authorship(ctx: ServiceContext, kind: 'created' | 'lastUpdated') {
  const p = ctx.principal;
  const serviceAccountId = p?.kind === 'serviceAccount' ? p.serviceAccountId : null;
  const userId = p?.kind === 'user' ? p.userId : null;
  return kind === 'created'
    ? { createdById: userId, createdByServiceAccountId: serviceAccountId }
    : { lastUpdatedById: userId, lastUpdatedByServiceAccountId: serviceAccountId };
}

export async function createIssue(ctx: ServiceContext, input: unknown, query: IssueQuery = {}) {
  authorize(ctx.principal, 'writeIssues');
  const data = parseInput(createInput, input, 'input');
  await checkOwner(ctx, data.issueOwnerId, 'input.issueOwnerId');
  const severityLevel = data.severityLevel ?? IssueSeverity.NOT_ASSIGNED;
  const status = data.status ?? IssueStatus.OPEN;
  const issue = await ctx.db.issue.create({
    ...(query as object),
    data: {
      title: data.title,
      description: data.description ?? null,
      severityLevel,
      severityRank: severityRank[severityLevel],
      status,
      dueDate: data.dueDate ?? null,
      dateCompleted: status === IssueStatus.CLOSED ? new Date() : null,
      issueOwnerId: data.issueOwnerId ?? null,
      ...authorship(ctx, 'created'),
      ...authorship(ctx, 'lastUpdated'),
    },
  });
  await recordAudit(ctx, {
    action: 'issue.created',
    targetType: 'Issue',
    targetId: issue.id,
    details: { title: issue.title, severityLevel, status },
  });
  return issue;
}

export async function updateIssue(ctx: ServiceContext, id: unknown, input: unknown, query: IssueQuery = {}) {
  authorize(ctx.principal, 'writeIssues');
  const existing = await findIssue(ctx, id);
  const data = parseInput(updateInput, input ?? {}, 'input');
  if (data.title === null) throw new BadUserInputError('input.title: must not be null', 'input.title');
  await checkOwner(ctx, data.issueOwnerId, 'input.issueOwnerId');
  const changes: Prisma.IssueUncheckedUpdateInput = {};
  if (data.title !== undefined) changes.title = data.title;
  if (data.description !== undefined) changes.description = data.description;
  if (data.severityLevel) {
    changes.severityLevel = data.severityLevel;
    changes.severityRank = severityRank[data.severityLevel];
  }
  if (data.status) {
    changes.status = data.status;
    if (data.status === IssueStatus.CLOSED && !existing.dateCompleted) changes.dateCompleted = new Date();
    if (data.status !== IssueStatus.CLOSED) changes.dateCompleted = null;
  }
  if (data.dateCompleted !== undefined) changes.dateCompleted = data.dateCompleted;
  if (data.dueDate !== undefined) changes.dueDate = data.dueDate;
  if (data.issueOwnerId !== undefined) changes.issueOwnerId = data.issueOwnerId;
  const issue = await ctx.db.issue.update({
    ...(query as object),
    where: { id: existing.id },
    data: { ...changes, ...authorship(ctx, 'lastUpdated') },
  });
  await recordAudit(ctx, {
    action: 'issue.updated',
    targetType: 'Issue',
    targetId: issue.id,
    details: { fields: Object.keys(changes).filter((k) => k !== 'severityRank') },
  });
  return issue;
}

/** Closes (CLOSED, completed now) or reopens (OPEN, not completed) an issue. */
export async function setIssueClosed(ctx: ServiceContext, id: unknown, closed: boolean, query: IssueQuery = {}) {
  authorize(ctx.principal, 'writeIssues');
  const existing = await findIssue(ctx, id);
  const issue = await ctx.db.issue.update({
    ...(query as object),
    where: { id: existing.id },
    data: {
      status: closed ? IssueStatus.CLOSED : IssueStatus.OPEN,
      dateCompleted: closed ? new Date() : null,
      ...authorship(ctx, 'lastUpdated'),
    },
  });
  await recordAudit(ctx, {
    action: closed ? 'issue.closed' : 'issue.reopened',
    targetType: 'Issue',
    targetId: issue.id,
    details: { previousStatus: existing.status },
  });
  return issue;
}

export async function deleteIssue(ctx: ServiceContext, id: unknown): Promise<number> {
  authorize(ctx.principal, 'writeIssues');
  const existing = await findIssue(ctx, id);
  await ctx.db.issue.delete({ where: { id: existing.id } });
  await recordAudit(ctx, {
    action: 'issue.deleted',
    targetType: 'Issue',
    targetId: existing.id,
    details: { title: existing.title, status: existing.status },
  });
  return existing.id;
}

/** Rows fetched per round trip while streaming every issue. */
const streamBatch = 1000;

/**
 * Every issue in id order, fetched in batches by id range so that memory
 * stays flat however many there are. Permission is checked before the
 * first row.
 */
export function allIssues(ctx: ServiceContext): AsyncGenerator<Prisma.IssueGetPayload<object>> {
  authorize(ctx.principal, 'readIssues');
  return (async function* () {
    let after = 0;
    for (;;) {
      const batch = await ctx.db.issue.findMany({
        where: { id: { gt: after } },
        orderBy: { id: 'asc' },
        take: streamBatch,
      });
      yield* batch;
      if (batch.length < streamBatch) return;
      after = batch.at(-1)?.id ?? after;
    }
  })();
}

/** A page of issues in id order by offset, for REST clients that page with `skip` and `take`. */
export async function pageIssues(ctx: ServiceContext, params: { skip: unknown; take: unknown }) {
  authorize(ctx.principal, 'readIssues');
  const { skip, take } = parseInput(pageParams, params);
  return ctx.db.issue.findMany({ orderBy: { id: 'asc' }, skip, take });
}
