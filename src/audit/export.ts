import { z } from 'zod';
import { authorize } from '../access/policy.ts';
import type { ServiceContext } from '../context.ts';
import type { Db } from '../db/client.ts';
import type { AuditEvent, Prisma } from '../db/types.ts';
import { parseInput, string } from '../validation.ts';

/** Events read from the database at a time. */
export const exportBatchSize = 500;

const instantMessage = 'must be an ISO 8601 date-time with a time zone (2026-01-31T09:00:00Z) or a date (2026-01-31)';

/** An instant in ISO 8601: a date-time with `Z` or an offset, or a date (midnight UTC). */
const isoInstant = string()
  .trim()
  .pipe(z.union([z.iso.datetime({ offset: true }), z.iso.date()], instantMessage))
  .transform((v) => new Date(v));

const exportRange = z
  .object({ since: isoInstant, until: isoInstant.optional() })
  .refine((r) => !r.until || r.until >= r.since, { message: 'must not be before since', path: ['until'] });

/** Which events an export holds: those at or after `since` and, when given, at or before `until`. */
export interface AuditExportRange {
  since: Date;
  until?: Date;
}

/** An audit event as an export line: the fields and values of GraphQL's `AuditEvent`. */
export interface AuditEventJson {
  id: string;
  at: string;
  actorType: string;
  actorUserId: string | null;
  actorServiceAccountId: number | null;
  actorLabel: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  clientAddress: string | null;
  requestId: string | null;
  details: string | null;
}

export function auditEventJson(event: AuditEvent): AuditEventJson {
  return {
    id: String(event.id),
    at: event.at.toISOString(),
    actorType: event.actorType,
    actorUserId: event.actorUserId,
    actorServiceAccountId: event.actorServiceAccountId,
    actorLabel: event.actorLabel,
    action: event.action,
    targetType: event.targetType,
    targetId: event.targetId,
    clientAddress: event.clientIp,
    requestId: event.requestId,
    details: event.details,
  };
}

/** Validates an export's range (`BadUserInputError` naming `since` or `until`). */
export function parseExportRange(input: { since?: unknown; until?: unknown }): AuditExportRange {
  const range = parseInput(exportRange, input);
  return range.until ? { since: range.since, until: range.until } : { since: range.since };
}

/**
 * The events of the range, oldest first (by time, then id), read in
 * batches of {@link exportBatchSize} by keyset on `(at, id)` (the
 * `[at, id]` index): a batch is read only when the caller asks for its
 * first event, so memory stays flat and a slow reader slows the reads.
 * Events written meanwhile that fall in the range are included.
 */
export async function* auditEventsIn(db: Db, range: AuditExportRange): AsyncGenerator<AuditEvent> {
  const within: Prisma.AuditEventWhereInput = {
    at: { gte: range.since, ...(range.until ? { lte: range.until } : {}) },
  };
  let after: AuditEvent | undefined;
  for (;;) {
    const batch = await db.auditEvent.findMany({
      where: after
        ? { AND: [within, { OR: [{ at: { gt: after.at } }, { at: after.at, id: { gt: after.id } }] }] }
        : within,
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
      take: exportBatchSize,
    });
    yield* batch;
    after = batch.at(-1);
    if (!after || batch.length < exportBatchSize) return;
  }
}

/**
 * The audit export of a request: administrators only (the policy's
 * `readAuditEvents`), checked and validated before anything is read.
 */
export function exportAuditEvents(
  ctx: ServiceContext,
  input: { since?: unknown; until?: unknown },
): AsyncGenerator<AuditEvent> {
  authorize(ctx.principal, 'readAuditEvents');
  return auditEventsIn(ctx.db, parseExportRange(input));
}
