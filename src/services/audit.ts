import { z } from 'zod';
import type { RequestContext } from '../context.ts';
import { BadUserInputError } from '../errors.ts';
import type { Prisma } from '../generated/sqlite/client.ts';
import { requirePermission } from './permissions.ts';
import { parseInput, string } from './validate.ts';

/** What a service function needs of the request it serves. */
export type ServiceContext = Pick<
  RequestContext,
  'db' | 'principal' | 'clientIp' | 'requestId' | 'log' | 'auth' | 'config'
>;

export interface AuditRecord {
  /** Dotted action name, e.g. `auth.login.failed`. */
  action: string;
  targetType?: string;
  targetId?: string | number;
  /** Action-specific facts; never a secret. */
  details?: Record<string, unknown>;
  /** Who acted when it is not the request's principal (a login names its user). */
  actor?: { userId: string; label: string };
}

/** Appends an audit event attributed to the request's caller. */
export async function recordAudit(ctx: ServiceContext, record: AuditRecord): Promise<void> {
  const p = ctx.principal;
  const actor = record.actor
    ? { actorType: 'USER' as const, actorUserId: record.actor.userId, actorLabel: record.actor.label }
    : p
      ? {
          actorType: p.kind === 'serviceAccount' ? ('SERVICE_ACCOUNT' as const) : ('USER' as const),
          actorUserId: p.userId,
          actorServiceAccountId: p.serviceAccountId,
          actorLabel: p.userName,
        }
      : { actorType: 'ANONYMOUS' as const };
  await ctx.db.auditEvent.create({
    data: {
      ...actor,
      action: record.action,
      targetType: record.targetType ?? null,
      targetId: record.targetId === undefined ? null : String(record.targetId),
      clientIp: ctx.clientIp,
      requestId: ctx.requestId,
      details: record.details ? JSON.stringify(record.details) : null,
    },
  });
}

const auditFilter = z
  .object({
    actor: string().trim().min(1).max(200).nullish(),
    serviceAccountId: z.number().int().positive().nullish(),
    action: string().trim().min(1).max(100).nullish(),
    since: z.coerce.date().nullish(),
    until: z.coerce.date().nullish(),
  })
  .nullish();

/**
 * Audit events, newest first, by keyset on id. `actor` matches the actor's
 * user id or label (user name); `serviceAccountId` matches events by or
 * about that account; `action` matches exactly or, ending in `.`, as a prefix.
 */
export async function listAuditEvents(
  ctx: ServiceContext,
  args: { filter?: unknown; first?: number | null; after?: string | null },
) {
  requirePermission(ctx.principal, 'manageUsers');
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
  const and: Prisma.AuditEventWhereInput[] = [];
  if (filter?.actor) and.push({ OR: [{ actorUserId: filter.actor }, { actorLabel: filter.actor }] });
  if (filter?.serviceAccountId) {
    const id = filter.serviceAccountId;
    and.push({ OR: [{ actorServiceAccountId: id }, { targetType: 'ServiceAccount', targetId: String(id) }] });
  }
  if (filter?.action) {
    and.push(filter.action.endsWith('.') ? { action: { startsWith: filter.action } } : { action: filter.action });
  }
  if (filter?.since) and.push({ at: { gte: filter.since } });
  if (filter?.until) and.push({ at: { lte: filter.until } });
  if (afterId !== undefined) and.push({ id: { lt: afterId } });
  const rows = await ctx.db.auditEvent.findMany({ where: { AND: and }, orderBy: { id: 'desc' }, take: first + 1 });
  const page = rows.slice(0, first);
  return {
    nodes: page,
    pageInfo: { hasNextPage: rows.length > first, endCursor: page.at(-1) ? String(page.at(-1)?.id) : null },
  };
}
