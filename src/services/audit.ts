import type { RequestContext } from '../context.ts';

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
