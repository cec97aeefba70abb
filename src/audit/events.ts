import { z } from 'zod';
import { authorize } from '../access/policy.ts';
import type { ServiceContext } from '../context.ts';
import type { Provider } from '../db/provider.ts';
import type { Prisma } from '../db/types.ts';
import { BadUserInputError } from '../errors.ts';
import { parseInput, string } from '../validation.ts';

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
 * Actions that start with `prefix`, literally. Prisma's `startsWith` sends
 * the prefix to LIKE as it is on both providers (tested: `_` and `%` act as
 * wildcards, so `service_account.` would match `serviceXaccount.`), and
 * SQLite's LIKE ignores case and has no escape character unless the
 * statement names one. So: on PostgreSQL the wildcards are escaped with
 * LIKE's default escape, `\`; on SQLite the prefix becomes a range of text,
 * compared bytewise (BINARY collation), case-sensitive as on PostgreSQL.
 */
export function literalPrefix(prefix: string, provider: Provider): Prisma.StringFilter {
  if (provider === 'postgresql') return { startsWith: prefix.replace(/[\\%_]/g, '\\$&') };
  return { gte: prefix, lt: `${prefix}\u{10FFFF}` };
}

/**
 * Audit events, newest first, by keyset on id. `actor` matches the actor's
 * user id or label (user name); `serviceAccountId` matches events by or
 * about that account; `action` matches exactly or, ending in `.`, as a prefix.
 */
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
  const and: Prisma.AuditEventWhereInput[] = [];
  if (filter?.actor) and.push({ OR: [{ actorUserId: filter.actor }, { actorLabel: filter.actor }] });
  if (filter?.serviceAccountId) {
    const id = filter.serviceAccountId;
    and.push({ OR: [{ actorServiceAccountId: id }, { targetType: 'ServiceAccount', targetId: String(id) }] });
  }
  if (filter?.action) {
    and.push({
      action: filter.action.endsWith('.') ? literalPrefix(filter.action, ctx.config.provider) : filter.action,
    });
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
