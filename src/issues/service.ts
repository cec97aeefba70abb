import { authorize } from '../access/policy.ts';
import { recordAudit } from '../audit/writer.ts';
import type { ServiceContext } from '../context.ts';
import type { Issue, Prisma } from '../db/types.ts';
import { IssueSeverity, IssueStatus } from '../db/types.ts';
import { BadUserInputError, NotFoundError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { type CreateInput, createInput, pageParams, parentParams, parseIssueId, updateInput } from './input.ts';
import { regscaleFieldNames, regscaleFields } from './regscale-fields.ts';
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

type IssueDb = ServiceContext['db'];

/** The columns of RegScale's further fields that the input sets (null clears; booleans are never null). */
function regscaleData(data: Partial<CreateInput>) {
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
async function insertIssue(ctx: ServiceContext, db: IssueDb, data: CreateInput, field: string, query: IssueQuery) {
  await checkOwner(ctx, data.issueOwnerId, `${field}.issueOwnerId`);
  const severityLevel = data.severityLevel ?? IssueSeverity.NOT_ASSIGNED;
  const status = data.status ?? IssueStatus.OPEN;
  const issue = await db.issue.create({
    ...(query as object),
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
async function changeIssue(
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
    ...(query as object),
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

export async function createIssue(ctx: ServiceContext, input: unknown, query: IssueQuery = {}) {
  authorize(ctx.principal, 'writeIssues');
  const data = parseInput(createInput, input, 'input');
  // The issue and its audit event commit together, or neither does.
  return ctx.db.$transaction((tx) => insertIssue(ctx, tx as IssueDb, data, 'input', query));
}

export async function updateIssue(ctx: ServiceContext, id: unknown, input: unknown, query: IssueQuery = {}) {
  authorize(ctx.principal, 'writeIssues');
  const existing = await findIssue(ctx, id);
  const data = parseInput(updateInput, input ?? {}, 'input');
  return ctx.db.$transaction((tx) => changeIssue(ctx, tx as IssueDb, existing, data, 'input', query));
}

/** Largest batch of a batch write. */
export const maxBatchSize = 500;
/** A batch of 500 with its audit events takes well under this; Prisma's default (5 s) is too tight on a busy database. */
const batchTransaction = { maxWait: 10_000, timeout: 60_000 };

function parseBatch(items: unknown, field: string): unknown[] {
  if (!Array.isArray(items)) throw new BadUserInputError(`${field}: must be an array of issues`, field);
  if (items.length > maxBatchSize) {
    throw new BadUserInputError(`${field}: at most ${maxBatchSize} issues a batch`, field);
  }
  return items;
}

/**
 * Creates every issue of the batch in one transaction, each with its audit
 * event: all or none (the first invalid item is named, e.g. `issues.3.title`).
 */
export async function createIssues(ctx: ServiceContext, items: unknown, field = 'issues') {
  authorize(ctx.principal, 'writeIssues');
  const inputs = parseBatch(items, field).map((item, i) => parseInput(createInput, item, `${field}.${i}`));
  return ctx.db.$transaction(async (tx) => {
    const created: Issue[] = [];
    for (const [i, data] of inputs.entries()) {
      created.push(await insertIssue(ctx, tx as IssueDb, data, `${field}.${i}`, {}));
    }
    return created;
  }, batchTransaction);
}

/** Updates every issue of the batch (each names its `id`) in one transaction, each with its audit event. */
export async function updateIssues(ctx: ServiceContext, items: unknown, field = 'issues') {
  authorize(ctx.principal, 'writeIssues');
  const inputs = parseBatch(items, field).map((item, i) => ({
    id: parseIssueId((item as { id?: unknown } | null)?.id, `${field}.${i}.id`),
    data: parseInput(updateInput, item, `${field}.${i}`),
  }));
  return ctx.db.$transaction(async (tx) => {
    const updated: Issue[] = [];
    for (const [i, { id, data }] of inputs.entries()) {
      const existing = await tx.issue.findUnique({ where: { id } });
      if (!existing) throw new NotFoundError(`${field}.${i}: Issue ${id} not found`);
      updated.push(await changeIssue(ctx, tx as IssueDb, existing, data, `${field}.${i}`, {}));
    }
    return updated;
  }, batchTransaction);
}

/** The fields a batch create-or-update may match existing issues on. */
const matchableFields = [
  'integrationFindingId',
  'otherIdentifier',
  'parentId',
  'parentModule',
  'securityPlanId',
] as const;
type MatchField = (typeof matchableFields)[number];

/**
 * RegScale's `batchCreateOrUpdate`: each item with an existing `id` is
 * updated; otherwise an issue whose `options.uniqueKeyFields` (default
 * `integrationFindingId`, `parentId`, `parentModule`) all equal the item's
 * is updated; otherwise the item is created. One transaction, an audit
 * event per issue.
 */
export async function createOrUpdateIssues(ctx: ServiceContext, items: unknown, options: unknown) {
  authorize(ctx.principal, 'writeIssues');
  const opts = (options ?? {}) as { uniqueKeyFields?: unknown };
  const keys = opts.uniqueKeyFields ?? ['integrationFindingId', 'parentId', 'parentModule'];
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    !keys.every((k): k is MatchField => (matchableFields as readonly unknown[]).includes(k))
  ) {
    throw new BadUserInputError(
      `options.uniqueKeyFields: must be a list of ${matchableFields.join(', ')}`,
      'options.uniqueKeyFields',
    );
  }
  const inputs = parseBatch(items, 'issues').map((item, i) => {
    const rawId = (item as { id?: unknown } | null)?.id;
    return {
      id: rawId === undefined || rawId === null || rawId === 0 ? null : parseIssueId(rawId, `issues.${i}.id`),
      data: parseInput(createInput, item, `issues.${i}`),
    };
  });
  return ctx.db.$transaction(async (tx) => {
    const result = { created: [] as Issue[], updated: [] as Issue[] };
    for (const [i, { id, data }] of inputs.entries()) {
      const field = `issues.${i}`;
      let existing = id ? await tx.issue.findUnique({ where: { id } }) : null;
      if (!existing && keys.every((k) => data[k] != null)) {
        existing = await tx.issue.findFirst({
          where: Object.fromEntries(keys.map((k) => [k, data[k]])) as Prisma.IssueWhereInput,
          orderBy: { id: 'asc' },
        });
      }
      if (existing) result.updated.push(await changeIssue(ctx, tx as IssueDb, existing, data, field, {}));
      else result.created.push(await insertIssue(ctx, tx as IssueDb, data, field, {}));
    }
    return result;
  }, batchTransaction);
}

/** Closes (CLOSED, completed now) or reopens (OPEN, not completed) an issue. */
export async function setIssueClosed(ctx: ServiceContext, id: unknown, closed: boolean, query: IssueQuery = {}) {
  authorize(ctx.principal, 'writeIssues');
  const existing = await findIssue(ctx, id);
  return ctx.db.$transaction(async (tx) => {
    const issue = await tx.issue.update({
      ...(query as object),
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
  await ctx.db.$transaction(async (tx) => {
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
const streamBatch = 1000;

/**
 * Every issue in id order, fetched in batches by id range so that memory
 * stays flat however many there are. Permission is checked before the
 * first row.
 */
export function allIssues(
  ctx: ServiceContext,
  where: Prisma.IssueWhereInput = {},
): AsyncGenerator<Prisma.IssueGetPayload<object>> {
  authorize(ctx.principal, 'readIssues');
  return (async function* () {
    let after = 0;
    for (;;) {
      const batch = await ctx.db.issue.findMany({
        where: { AND: [where, { id: { gt: after } }] },
        orderBy: { id: 'asc' },
        take: streamBatch,
      });
      yield* batch;
      if (batch.length < streamBatch) return;
      after = batch.at(-1)?.id ?? after;
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

/** A page of issues in id order by offset, for REST clients that page with `skip` and `take`. */
export async function pageIssues(ctx: ServiceContext, params: { skip: unknown; take: unknown }) {
  authorize(ctx.principal, 'readIssues');
  const { skip, take } = parseInput(pageParams, params);
  return ctx.db.issue.findMany({ orderBy: { id: 'asc' }, skip, take });
}
