import { authorize } from '../access/policy.ts';
import { recordAudit } from '../audit/writer.ts';
import type { ServiceContext } from '../context.ts';
import { transact } from '../db/transaction.ts';
import { IssueStatus } from '../db/types.ts';
import { BadUserInputError, NotFoundError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { createInput, pageParams, parentParams, parseIssueId, updateInput } from './input.ts';
import { type IssueRowBatch, type IssueRowFilter, issueRows } from './rows.ts';
import { authorship, changeIssue, type IssueDb, type IssueQuery, insertIssue, withColumns } from './write.ts';

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

export async function createIssue(ctx: ServiceContext, input: unknown, query: IssueQuery = {}) {
  authorize(ctx.principal, 'writeIssues');
  const data = parseInput(createInput, input, 'input');
  // The issue and its audit event commit together, or neither does.
  return transact(ctx, (tx) => insertIssue(ctx, tx as IssueDb, data, 'input', query));
}

export async function updateIssue(ctx: ServiceContext, id: unknown, input: unknown, query: IssueQuery = {}) {
  authorize(ctx.principal, 'writeIssues');
  const existing = await findIssue(ctx, id);
  const data = parseInput(updateInput, input ?? {}, 'input');
  return transact(ctx, (tx) => changeIssue(ctx, tx as IssueDb, existing, data, 'input', query));
}

/** Closes (CLOSED, completed now) or reopens (OPEN, not completed) an issue. */
export async function setIssueClosed(ctx: ServiceContext, id: unknown, closed: boolean, query: IssueQuery = {}) {
  authorize(ctx.principal, 'writeIssues');
  const existing = await findIssue(ctx, id);
  return transact(ctx, async (tx) => {
    const issue = await tx.issue.update({
      ...(withColumns(query, 'id') as object),
      where: { id: existing.id },
      data: {
        status: closed ? IssueStatus.CLOSED : IssueStatus.OPEN,
        dateCompleted: closed ? new Date() : null,
        ...authorship(ctx, 'lastUpdated'),
      },
    });
    await recordAudit(
      ctx,
      {
        action: closed ? 'issue.closed' : 'issue.reopened',
        targetType: 'Issue',
        targetId: issue.id,
        details: { previousStatus: existing.status },
      },
      tx,
    );
    return issue;
  });
}

export async function deleteIssue(ctx: ServiceContext, id: unknown): Promise<number> {
  authorize(ctx.principal, 'writeIssues');
  const existing = await findIssue(ctx, id);
  await transact(ctx, async (tx) => {
    await tx.issue.delete({ where: { id: existing.id } });
    await recordAudit(
      ctx,
      {
        action: 'issue.deleted',
        targetType: 'Issue',
        targetId: existing.id,
        details: { title: existing.title, status: existing.status },
      },
      tx,
    );
  });
  return existing.id;
}

/** Rows fetched per round trip while streaming every issue. */
const streamBatch = 500;

/**
 * Every issue in id order (of one parent record with `filter`), in batches fetched by id
 * range so that memory stays flat however many there are (one batch at a time as the reader
 * asks, and on PostgreSQL the next one on its way). Read with the driver (`issueRows`): the
 * rows go out as JSON text, and Prisma's row objects cost most of the stream's time and memory.
 * Permission is checked before the first row.
 */
export function allIssues(ctx: ServiceContext, filter?: IssueRowFilter): AsyncGenerator<IssueRowBatch> {
  authorize(ctx.principal, 'readIssues');
  const rows = issueRows(ctx.db);
  return (async function* () {
    let next = rows.read(0, streamBatch, filter);
    for (;;) {
      const batch = await next;
      const more = batch.rows.length === streamBatch;
      // Where the database works in a process of its own, it reads the next batch while this one
      // is written. Handled at once: its failure is met when the stream asks for it, or never if
      // the client is gone by then (not as an unhandled rejection in between).
      if (more && rows.readAhead) next = rows.read(batch.lastId, streamBatch, filter);
      next.catch(() => {});
      if (batch.rows.length > 0) yield batch;
      if (!more) return;
      if (!rows.readAhead) next = rows.read(batch.lastId, streamBatch, filter);
    }
  })();
}

/**
 * Every issue of a RegScale parent record (`parentId` and `parentModule`,
 * e.g. 7 and `securityplans`), streamed in id order like {@link allIssues};
 * index-backed by (parentId, parentModule, id).
 */
export function issuesByParent(ctx: ServiceContext, parentId: unknown, parentModule: unknown) {
  authorize(ctx.principal, 'readIssues');
  const id = parseInput(parentParams.shape.parentId, parentId, 'parentId');
  const module = parseInput(parentParams.shape.module, parentModule, 'module');
  return allIssues(ctx, { parentId: id, parentModule: module });
}

/**
 * A page of issues in id order, for REST clients: by offset (`skip`, which reads the skipped
 * rows) or by keyset (`after`, the last id of the page before: an index range, as cheap deep
 * as at the start). Not both.
 */
export async function pageIssues(ctx: ServiceContext, params: { skip: unknown; take: unknown; after?: unknown }) {
  authorize(ctx.principal, 'readIssues');
  const { skip, take, after } = parseInput(pageParams, params);
  if (after !== undefined && skip > 0) throw new BadUserInputError('after: cannot be used with skip', 'after');
  if (after !== undefined) return ctx.db.issue.findMany({ where: { id: { gt: after } }, orderBy: { id: 'asc' }, take });
  return ctx.db.issue.findMany({ orderBy: { id: 'asc' }, skip, take });
}
