import type { Principal } from '../access/principal.ts';
import type { Db } from '../db/client.ts';
import type { ActorType } from '../db/types.ts';

/** Who performed an audited action. */
export interface AuditActor {
  type: ActorType;
  userId?: string | null;
  serviceAccountId?: number | null;
  /** The actor's name when it acted (a user name, `service-account-<id>`). */
  label?: string | null;
}

/** One audit event, as every module hands it to `writeAudit`. */
export interface AuditEntry {
  /** Dotted action name, e.g. `auth.login.failed`. */
  action: string;
  actor: AuditActor;
  targetType?: string;
  targetId?: string | number;
  /** Action-specific facts; never a secret. */
  details?: Record<string, unknown>;
  clientIp?: string | null;
  requestId?: string | null;
}

/** The actor of a request: its principal, or anonymous. */
export function actorOf(principal: Principal | null): AuditActor {
  if (!principal) return { type: 'ANONYMOUS' };
  return {
    type: principal.kind === 'serviceAccount' ? 'SERVICE_ACCOUNT' : 'USER',
    userId: principal.userId,
    serviceAccountId: principal.serviceAccountId,
    label: principal.userName,
  };
}

/** The database, or a transaction on it: an event is written with the change it records. */
type AuditDb = Pick<Db, 'auditEvent'>;

/**
 * Appends an audit event: the one place that writes the audit trail. It
 * answers Prisma's lazy promise, so it can join a batch transaction
 * (`db.$transaction([change, writeAudit(db, entry)])`) or be awaited inside
 * an interactive one (`writeAudit(tx, entry)`).
 */
export function writeAudit(db: AuditDb, entry: AuditEntry) {
  return db.auditEvent.create({
    data: {
      actorType: entry.actor.type,
      actorUserId: entry.actor.userId ?? null,
      actorServiceAccountId: entry.actor.serviceAccountId ?? null,
      actorLabel: entry.actor.label ?? null,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId === undefined ? null : String(entry.targetId),
      clientIp: entry.clientIp ?? null,
      requestId: entry.requestId ?? null,
      details: entry.details ? JSON.stringify(entry.details) : null,
    },
  });
}

/** What `recordAudit` needs of the request it records. */
export interface AuditSource {
  db: Db;
  principal: Principal | null;
  clientIp: string;
  requestId: string;
}

/** An audit event of a request, attributed to its caller unless `actor` says otherwise. */
export type AuditRecord = Omit<AuditEntry, 'actor' | 'clientIp' | 'requestId'> & { actor?: AuditActor };

/** Appends an audit event of a request: its caller (or `record.actor`), address and request id. */
export async function recordAudit(source: AuditSource, record: AuditRecord, db: AuditDb = source.db): Promise<void> {
  await writeAudit(db, {
    ...record,
    actor: record.actor ?? actorOf(source.principal),
    clientIp: source.clientIp,
    requestId: source.requestId,
  });
}
