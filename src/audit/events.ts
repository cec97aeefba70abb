import { z } from 'zod';
import { authorize } from '../access/policy.ts';
import type { ServiceContext } from '../context.ts';
import { adminPageLimits, keysetPage, type Page, type PageArgs, type ScanPart } from '../db/keyset.ts';
import { literalPrefix } from '../db/literal.ts';
import type { Provider } from '../db/provider.ts';
import type { Prisma } from '../db/types.ts';
import { BadUserInputError } from '../errors.ts';
import { parseInput, string } from '../validation.ts';

const filterFields = {
  actor: string().trim().min(1).max(200).nullish(),
  serviceAccountId: z.number().int().positive().nullish(),
  action: string().trim().min(1).max(100).nullish(),
  since: z.coerce.date().nullish(),
  until: z.coerce.date().nullish(),
};
const auditFilter = z.object(filterFields).nullish();
const connectionFilter = z
  .object({
    ...filterFields,
    targetType: string().trim().min(1).max(100).nullish(),
    targetId: string().trim().min(1).max(200).nullish(),
  })
  .nullish();

/**
 * The condition of a filter: `actor` matches the actor's user id or label
 * (user name); `serviceAccountId` matches events by or about that account;
 * `action` matches exactly or, ending in `.`, as a literal prefix; `since`
 * and `until` bound `at`, both included.
 */
function whereOf(filter: z.output<typeof connectionFilter>, provider: Provider): Prisma.AuditEventWhereInput[] {
  const and: Prisma.AuditEventWhereInput[] = [];
  if (filter?.actor) and.push({ OR: [{ actorUserId: filter.actor }, { actorLabel: filter.actor }] });
  if (filter?.serviceAccountId) {
    const id = filter.serviceAccountId;
    and.push({ OR: [{ actorServiceAccountId: id }, { targetType: 'ServiceAccount', targetId: String(id) }] });
  }
  if (filter?.action) {
    and.push({ action: filter.action.endsWith('.') ? literalPrefix(filter.action, provider) : filter.action });
  }
  if (filter?.targetType) and.push({ targetType: filter.targetType });
  if (filter?.targetId) and.push({ targetId: filter.targetId });
  if (filter?.since) and.push({ at: { gte: filter.since } });
  if (filter?.until) and.push({ at: { lte: filter.until } });
  return and;
}

/** Audit events, newest first, by keyset on id: the page shape before `auditEventsConnection`. */
export async function listAuditEvents(
  ctx: ServiceContext,
  args: { filter?: unknown; first?: number | null; after?: string | null },
) {
  authorize(ctx.principal, 'readAuditEvents');
  const filter = parseInput(auditFilter, args.filter ?? null, 'filter');
  const first = args.first ?? 50;
  if (!Number.isInteger(first) || first < 0 || first > 500) {
    throw new BadUserInputError('first: must be an integer from 0 to 500', 'first');
  }
  let afterId: number | undefined;
  if (args.after != null) {
    afterId = /^[1-9]\d{0,9}$/.test(args.after) ? Number(args.after) : Number.NaN;
    if (!Number.isSafeInteger(afterId)) throw new BadUserInputError('after: not a cursor of this list', 'after');
  }
  const and = whereOf(filter, ctx.config.provider);
  if (afterId !== undefined) and.push({ id: { lt: afterId } });
  const rows = await ctx.db.auditEvent.findMany({ where: { AND: and }, orderBy: { id: 'desc' }, take: first + 1 });
  const page = rows.slice(0, first);
  return {
    nodes: page,
    pageInfo: { hasNextPage: rows.length > first, endCursor: page.at(-1) ? String(page.at(-1)?.id) : null },
  };
}

/**
 * A page of audit events (a Relay connection), newest first, by keyset on
 * (at, id) (`src/db/keyset.ts`), with the filter rules of `listAuditEvents`
 * and `targetType`/`targetId`. No total count: the trail grows without
 * bound and counting reads every matching event.
 */
export async function auditEventsConnection(
  ctx: ServiceContext,
  args: PageArgs & { filter?: unknown; orderBy?: { field: 'AT'; direction?: 'ASC' | 'DESC' | null } | null },
): Promise<Page<object>> {
  authorize(ctx.principal, 'readAuditEvents');
  const filter = parseInput(connectionFilter, args.filter ?? null, 'filter');
  const desc = (args.orderBy ? (args.orderBy.direction ?? 'ASC') : 'DESC') === 'DESC';
  const where: Prisma.AuditEventWhereInput = { AND: whereOf(filter, ctx.config.provider) };
  return keysetPage(args, {
    ordering: { key: `auditEvents:AT:${desc ? 'DESC' : 'ASC'}`, column: 'at', kind: 'date', nullable: false, desc },
    idKind: 'integer',
    limits: adminPageLimits,
    read: (part: ScanPart, take: number) =>
      ctx.db.auditEvent.findMany({
        where: { AND: [where, part.where as Prisma.AuditEventWhereInput] },
        orderBy: part.orderBy as Prisma.AuditEventOrderByWithRelationInput[],
        take,
      }),
    count: () => ctx.db.auditEvent.count({ where }),
  });
}
