import { authorize } from '../access/policy.ts';
import type { ServiceContext } from '../context.ts';
import { transact } from '../db/transaction.ts';
import type { Issue, Prisma } from '../db/types.ts';
import { BadUserInputError, NotFoundError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { createInput, parseIssueId, updateInput } from './input.ts';
import { changeIssue, type IssueDb, insertIssue } from './write.ts';

/** Largest batch of a batch write. */
export const maxBatchSize = 500;
/** A batch of 500 with its audit events takes well under this; Prisma's default (5 s) is too tight on a busy database. */
/** A batch may take longer than one write, but never beyond its request's deadline (`transact`). */
const batchTransaction = { maxWaitMs: 10_000, timeoutMs: 60_000 };

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
  return transact(
    ctx,
    async (tx) => {
      const created: Issue[] = [];
      for (const [i, data] of inputs.entries()) {
        created.push(await insertIssue(ctx, tx as IssueDb, data, `${field}.${i}`, {}));
      }
      return created;
    },
    batchTransaction,
  );
}

/** Updates every issue of the batch (each names its `id`) in one transaction, each with its audit event. */
export async function updateIssues(ctx: ServiceContext, items: unknown, field = 'issues') {
  authorize(ctx.principal, 'writeIssues');
  const inputs = parseBatch(items, field).map((item, i) => ({
    id: parseIssueId((item as { id?: unknown } | null)?.id, `${field}.${i}.id`),
    data: parseInput(updateInput, item, `${field}.${i}`),
  }));
  return transact(
    ctx,
    async (tx) => {
      const updated: Issue[] = [];
      for (const [i, { id, data }] of inputs.entries()) {
        const existing = await tx.issue.findUnique({ where: { id } });
        if (!existing) throw new NotFoundError(`${field}.${i}: Issue ${id} not found`);
        updated.push(await changeIssue(ctx, tx as IssueDb, existing, data, `${field}.${i}`, {}));
      }
      return updated;
    },
    batchTransaction,
  );
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
  return transact(
    ctx,
    async (tx) => {
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
    },
    batchTransaction,
  );
}
