import { z } from 'zod';
import { authorize } from '../access/policy.ts';
import { recordAudit } from '../audit/writer.ts';
import type { ServiceContext } from '../context.ts';
import type { Prisma } from '../db/types.ts';
import { IssueSeverity, IssueStatus } from '../db/types.ts';
import { BadUserInputError, NotFoundError } from '../errors.ts';
import { parseInput, string } from '../validation.ts';
import { severityRank } from './severity.ts';

/** Largest page a caller may ask for (GraphQL `first`/`last`, REST `take`). */
export const maxPageSize = 500;
/** Page size when the caller gives none. */
export const defaultPageSize = 50;

export type IssueOrderField = 'DUE_DATE' | 'SEVERITY' | 'CREATED_AT' | 'UPDATED_AT' | 'ID';
export type OrderDirection = 'ASC' | 'DESC';

const orderColumns = {
  DUE_DATE: { column: 'dueDate', nullable: true },
  SEVERITY: { column: 'severityRank', nullable: false },
  CREATED_AT: { column: 'createdAt', nullable: false },
  UPDATED_AT: { column: 'updatedAt', nullable: false },
  ID: { column: 'id', nullable: false },
} as const;

const date = z.coerce
  .date({ error: 'must be a date-time' })
  .refine((d) => d.getUTCFullYear() >= 1900 && d.getUTCFullYear() <= 9999, 'must be between the years 1900 and 9999');

export const issueFilter = z
  .object({
    status: z.array(z.enum(IssueStatus)).max(10).nullish(),
    severityLevel: z.array(z.enum(IssueSeverity)).max(10).nullish(),
    issueOwnerId: z.string().trim().uuid('must be a user id').nullish(),
    dueAfter: date.nullish(),
    dueBefore: date.nullish(),
    search: string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').nullish(),
  })
  .nullish();

export type IssueFilter = z.output<typeof issueFilter>;

const title = string().trim().min(1, 'must not be empty').max(300, 'must be at most 300 characters');
const description = string().max(20_000, 'must be at most 20000 characters');

const createInput = z.object({
  title,
  description: description.nullish(),
  severityLevel: z.enum(IssueSeverity).nullish(),
  status: z.enum(IssueStatus).nullish(),
  dueDate: date.nullish(),
  issueOwnerId: z.string().trim().uuid('must be a user id').nullish(),
});

const updateInput = createInput.partial().extend({ dateCompleted: date.nullish() });

/** Parses an issue id given as GraphQL `ID` or a REST path segment. */
export function parseIssueId(value: unknown, field = 'id'): number {
  const text = String(value ?? '').trim();
  const id = /^[1-9]\d{0,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id) || id > 2_147_483_647) {
    throw new BadUserInputError(`${field}: must be a positive integer issue id`, field);
  }
  return id;
}

function whereOf(filter: IssueFilter, provider: ServiceContext['config']['provider']): Prisma.IssueWhereInput {
  if (!filter) return {};
  const and: Prisma.IssueWhereInput[] = [];
  if (filter.status?.length) and.push({ status: { in: filter.status } });
  if (filter.severityLevel?.length) and.push({ severityLevel: { in: filter.severityLevel } });
  if (filter.issueOwnerId) and.push({ issueOwnerId: filter.issueOwnerId });
  if (filter.dueAfter) and.push({ dueDate: { gte: filter.dueAfter } });
  if (filter.dueBefore) and.push({ dueDate: { lte: filter.dueBefore } });
  if (filter.search) {
    // SQLite's LIKE is already case-insensitive (ASCII); PostgreSQL needs ILIKE.
    const contains =
      provider === 'postgresql'
        ? { contains: filter.search, mode: 'insensitive' as const }
        : { contains: filter.search };
    and.push({ OR: [{ title: contains }, { description: contains }] } as Prisma.IssueWhereInput);
  }
  return { AND: and };
}

interface Cursor {
  /** The order field the cursor was made for; a cursor from another ordering is refused. */
  o: string;
  /** The order column's value (ISO date or number), null for a null due date. */
  v: string | number | null;
  id: number;
}

function encodeCursor(order: string, value: unknown, id: number): string {
  const v = value instanceof Date ? value.toISOString() : (value as number | null);
  return Buffer.from(JSON.stringify({ o: order, v, id } satisfies Cursor)).toString('base64url');
}

function decodeCursor(text: string, order: string, field: string): Cursor {
  let cursor: Cursor | undefined;
  try {
    if (text.length <= 200) cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
  } catch {
    // falls through to the error below
  }
  const valid =
    cursor &&
    typeof cursor === 'object' &&
    cursor.o === order &&
    Number.isSafeInteger(cursor.id) &&
    (cursor.v === null ||
      typeof cursor.v === 'number' ||
      (typeof cursor.v === 'string' && !Number.isNaN(Date.parse(cursor.v))));
  if (!valid || !cursor) throw new BadUserInputError(`${field}: not a cursor of this list and ordering`, field);
  return cursor;
}

export interface ListIssuesArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  filter?: unknown;
  orderBy?: { field: IssueOrderField; direction: OrderDirection } | null;
}

export interface IssuePage<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** Counts every issue the filter matches; only called when asked for. */
  totalCount: () => Promise<number>;
}

/**
 * A page of issues by keyset pagination: the cursor holds the order value
 * and id of an edge, and the next page starts with a range condition on the
 * (order column, id) index, so the thousandth page costs what the first
 * does. Ordering is the chosen column (nulls last), then id as tie-breaker.
 */
export async function listIssues<Include extends Prisma.IssueInclude | undefined>(
  ctx: ServiceContext,
  args: ListIssuesArgs,
  query: { include?: Include; select?: Prisma.IssueSelect } = {},
): Promise<IssuePage<Prisma.IssueGetPayload<{ include: Include }>>> {
  authorize(ctx.principal, 'readIssues');
  const { first, last, after, before } = args;
  if (first != null && last != null) throw new BadUserInputError('first and last cannot be used together', 'last');
  for (const [name, value] of [
    ['first', first],
    ['last', last],
  ] as const) {
    if (value != null && (!Number.isInteger(value) || value < 0 || value > maxPageSize)) {
      throw new BadUserInputError(`${name}: must be an integer from 0 to ${maxPageSize}`, name);
    }
  }
  const filter = parseInput(issueFilter, args.filter ?? null, 'filter');
  const orderField = args.orderBy?.field ?? 'ID';
  const desc = args.orderBy?.direction === 'DESC';
  const order = `${orderField}:${desc ? 'DESC' : 'ASC'}`;
  const { column, nullable } = orderColumns[orderField];
  const forward = last == null;
  const size = (forward ? first : last) ?? defaultPageSize;
  const cursorText = forward ? after : before;
  const cursor = cursorText ? decodeCursor(cursorText, order, forward ? 'after' : 'before') : null;

  const where = whereOf(filter, ctx.config.provider);
  const rows: (Prisma.IssueGetPayload<{ include: Include }> & Record<string, unknown>)[] = [];
  // Each part is one index range in scan order; later parts only fill what is left of the page.
  for (const part of scanParts(column, nullable, desc, forward, cursor)) {
    if (rows.length > size) break;
    const found = await ctx.db.issue.findMany({
      ...(query as object),
      where: { AND: [where, part.where] },
      orderBy: part.orderBy,
      take: size + 1 - rows.length,
    });
    rows.push(...(found as unknown as typeof rows));
  }
  const more = rows.length > size;
  const page = rows.slice(0, size);
  if (!forward) page.reverse();
  const edges = page.map((node) => ({ cursor: encodeCursor(order, node[column], node.id as number), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: forward ? more : cursor !== null,
      hasPreviousPage: forward ? cursor !== null : more,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: () => ctx.db.issue.count({ where }),
  };
}

interface ScanPart {
  where: Prisma.IssueWhereInput;
  orderBy: Prisma.IssueOrderByWithRelationInput[];
}

/**
 * The rows after (forward) or before (backward) the cursor, as a sequence
 * of queries that are each a plain range of an index on (column, id): the
 * rest of the cursor's own value (by id), then the values beyond it, then
 * the nulls, which come last in the order. A single query with an OR
 * across these would make the database scan from the start of the column's
 * value (slow on a column with few values, like severity).
 */
function scanParts(
  column: string,
  nullable: boolean,
  desc: boolean,
  forward: boolean,
  cursor: Cursor | null,
): ScanPart[] {
  const scanDesc = desc !== !forward;
  const dir = (d: boolean) => (d ? ('desc' as const) : ('asc' as const));
  if (column === 'id') {
    return [
      {
        where: cursor ? { id: scanDesc ? { lt: cursor.id } : { gt: cursor.id } } : {},
        orderBy: [{ id: dir(scanDesc) }],
      },
    ];
  }
  // Ties on the column are broken by id ascending; scanning backwards reverses it.
  const byId = [{ id: dir(!forward) }];
  const byColumn = [{ [column]: dir(scanDesc) }, { id: dir(!forward) }];
  const nonNull: ScanPart = { where: nullable ? { [column]: { not: null } } : {}, orderBy: byColumn };
  const nulls: ScanPart = { where: { [column]: null }, orderBy: byId };
  const idBeyond = (id: number) => ({ id: forward ? { gt: id } : { lt: id } });

  if (!cursor) {
    if (!nullable) return [nonNull];
    return forward ? [nonNull, nulls] : [nulls, nonNull];
  }
  if (cursor.v === null) {
    const restOfNulls = { where: { [column]: null, ...idBeyond(cursor.id) }, orderBy: byId };
    return forward ? [restOfNulls] : [restOfNulls, nonNull];
  }
  const value = typeof cursor.v === 'string' ? new Date(cursor.v) : cursor.v;
  const sameValue = { where: { [column]: value, ...idBeyond(cursor.id) }, orderBy: byId };
  const beyond = { where: { [column]: scanDesc ? { lt: value } : { gt: value } }, orderBy: byColumn };
  return forward && nullable ? [sameValue, beyond, nulls] : [sameValue, beyond];
}

async function findIssue(ctx: ServiceContext, id: unknown) {
  const issueId = parseIssueId(id);
  const issue = await ctx.db.issue.findUnique({ where: { id: issueId } });
  if (!issue) throw new NotFoundError(`Issue ${issueId} not found`);
  return issue;
}

/** One issue; NOT_FOUND when it does not exist. */
export async function getIssue<Q extends { include?: Prisma.IssueInclude; select?: Prisma.IssueSelect }>(
  ctx: ServiceContext,
  id: unknown,
  query?: Q,
) {
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

export async function createIssue(ctx: ServiceContext, input: unknown) {
  authorize(ctx.principal, 'writeIssues');
  const data = parseInput(createInput, input, 'input');
  await checkOwner(ctx, data.issueOwnerId, 'input.issueOwnerId');
  const severityLevel = data.severityLevel ?? IssueSeverity.NOT_ASSIGNED;
  const status = data.status ?? IssueStatus.OPEN;
  const issue = await ctx.db.issue.create({
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

export async function updateIssue(ctx: ServiceContext, id: unknown, input: unknown) {
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
export async function setIssueClosed(ctx: ServiceContext, id: unknown, closed: boolean) {
  authorize(ctx.principal, 'writeIssues');
  const existing = await findIssue(ctx, id);
  const issue = await ctx.db.issue.update({
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

/** A whole number written in decimal digits (query strings are text: no `0x10`, `1e3` or `1.0`). */
const wholeNumber = z
  .union([z.number(), z.string().regex(/^\d{1,10}$/, 'must be a whole number')], { error: 'must be a whole number' })
  .transform(Number)
  .pipe(z.number().int('must be a whole number'));

const pageParams = z.object({
  skip: wholeNumber.pipe(z.number().min(0, 'must be 0 or more').max(1e9, 'is too large')),
  take: wholeNumber.pipe(z.number().min(1, 'must be at least 1').max(maxPageSize, `must be at most ${maxPageSize}`)),
});

/** A page of issues in id order by offset, for REST clients that page with `skip` and `take`. */
export async function pageIssues(ctx: ServiceContext, params: { skip: unknown; take: unknown }) {
  authorize(ctx.principal, 'readIssues');
  const { skip, take } = parseInput(pageParams, params);
  return ctx.db.issue.findMany({ orderBy: { id: 'asc' }, skip, take });
}
