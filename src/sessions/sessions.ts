import { authorize, authorizeSessionsOf } from '../access/policy.ts';
import { recordAudit } from '../audit/writer.ts';
import { announceTokenChange } from '../auth/change-feed.ts';
import type { ServiceContext } from '../context.ts';
import { transact } from '../db/transaction.ts';
import type { Prisma } from '../db/types.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import { parseUserId } from '../users/input.ts';

/** Why a session ended, as the audit trail and `Session.endReason` say it. */
export type EndReason = 'logout' | 'revoked' | 'password_changed' | 'password_reset' | 'role_removed' | 'deactivated';

/** The database, or a transaction on it. */
type Tx = Pick<ServiceContext['db'], 'session' | 'auditEvent' | '$executeRawUnsafe'>;

const sessionId = (value: unknown): string => {
  const text = String(value ?? '').trim();
  if (!/^[0-9a-f-]{36}$/i.test(text)) throw new NotFoundError('Session not found');
  return text;
};

/** A session as the API shows it: `current` when it is the caller's own token. */
export function sessionView(
  session: {
    id: string;
    createdAt: Date;
    lastSeenAt: Date | null;
    expiresAt: Date;
    clientIp: string | null;
    userAgent: string | null;
  },
  ctx: ServiceContext,
) {
  return {
    id: session.id,
    createdAt: session.createdAt,
    lastSeenAt: session.lastSeenAt,
    expiresAt: session.expiresAt,
    clientAddress: session.clientIp,
    userAgent: session.userAgent,
    current: ctx.principal?.kind === 'user' && ctx.principal.tokenId === session.id,
  };
}

export type SessionView = ReturnType<typeof sessionView>;

/** A user's sessions that still work, newest first. */
async function activeSessions(ctx: ServiceContext, userId: string) {
  return ctx.db.session.findMany({
    where: { userId, endedAt: null, expiresAt: { gt: ctx.auth.now() } },
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
  });
}

/** The caller's own active sessions. */
export async function listOwnSessions(ctx: ServiceContext): Promise<SessionView[]> {
  const principal = authorize(ctx.principal, 'ownSessions');
  return (await activeSessions(ctx, principal.userId)).map((s) => sessionView(s, ctx));
}

/** A user's active sessions; administrators (or the user). */
export async function listUserSessions(ctx: ServiceContext, userId: unknown): Promise<SessionView[]> {
  const id = parseUserId(userId, 'userId');
  authorizeSessionsOf(ctx.principal, id);
  return (await activeSessions(ctx, id)).map((s) => sessionView(s, ctx));
}

/**
 * Ends the sessions `where` selects, each with an audit event, in the
 * transaction `tx` of the change that ends them; answers them so that the
 * caller can tell this instance's revocation list once it has committed.
 */
export async function endSessionsIn(
  ctx: ServiceContext,
  tx: Tx,
  where: Prisma.SessionWhereInput,
  reason: EndReason,
): Promise<{ id: string; userId: string; expiresAt: Date }[]> {
  const now = ctx.auth.now();
  const ending = await tx.session.findMany({
    where: { ...where, endedAt: null, expiresAt: { gt: now } },
    select: { id: true, userId: true, expiresAt: true },
  });
  if (ending.length === 0) return [];
  await announceTokenChange(tx, ctx.config.provider);
  await tx.session.updateMany({
    where: { id: { in: ending.map((s) => s.id) } },
    data: { endedAt: now, endReason: reason },
  });
  for (const s of ending) {
    await recordAudit(
      ctx,
      { action: 'session.ended', targetType: 'User', targetId: s.userId, details: { sessionId: s.id, reason } },
      tx,
    );
  }
  return ending;
}

/** Ends the caller's own session: its token is refused from now on, on every instance. */
export async function logout(ctx: ServiceContext): Promise<void> {
  const principal = authorize(ctx.principal, 'ownSessions');
  const now = ctx.auth.now();
  const ended = await transact(ctx, async (tx) => {
    // A token from before sessions were stored has no row yet: one is made, ended.
    await tx.session.upsert({
      where: { id: principal.tokenId },
      create: { id: principal.tokenId, userId: principal.userId, createdAt: now, expiresAt: principal.expiresAt },
      update: {},
    });
    return endSessionsIn(ctx, tx, { id: principal.tokenId }, 'logout');
  });
  ctx.auth.revocations.endSessions(ended);
}

/** Ends one session: the caller's own, or anyone's for an administrator. */
export async function revokeSession(ctx: ServiceContext, id: unknown): Promise<SessionView> {
  authorize(ctx.principal, 'ownSessions');
  const session = await ctx.db.session.findUnique({ where: { id: sessionId(id) } });
  if (!session) throw new NotFoundError('Session not found');
  try {
    authorizeSessionsOf(ctx.principal, session.userId);
  } catch (error) {
    // Another user's session is, to a non-administrator, a session that does not exist.
    if (error instanceof ForbiddenError) throw new NotFoundError('Session not found');
    throw error;
  }
  const ended = await transact(ctx, (tx) => endSessionsIn(ctx, tx, { id: session.id }, 'revoked'));
  ctx.auth.revocations.endSessions(ended);
  return sessionView(session, ctx);
}

/** Ends every session of a user; answers how many were ended. Administrators. */
export async function revokeUserSessions(ctx: ServiceContext, userId: unknown): Promise<number> {
  authorize(ctx.principal, 'manageUsers');
  const id = parseUserId(userId, 'userId');
  const ended = await transact(ctx, (tx) => endSessionsIn(ctx, tx, { userId: id }, 'revoked'));
  ctx.auth.revocations.endSessions(ended);
  return ended.length;
}
