import { authorizeNow } from '../access/current.ts';
import { grantableRoles } from '../access/policy.ts';
import type { Principal } from '../access/principal.ts';
import { recordAudit } from '../audit/writer.ts';
import { announceTokenChange } from '../auth/change-feed.ts';
import type { ServiceContext } from '../context.ts';
import { transact } from '../db/transaction.ts';
import type { Role } from '../db/types.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import { parseUserId } from '../users/input.ts';
import { parseAccountId, type ServiceAccountQuery } from './ids.ts';

/** Why an account was suspended, as `suspendedReason` and the audit trail say it. */
export type SuspensionReason = 'creator_deactivated' | 'creator_role_removed';

type Tx = ServiceContext['db'];

/**
 * Suspends the working accounts created by `userId` that carry a role
 * outside `keep` (all of them when `keep` is null), each with an audit
 * event, in the transaction of the change that took the creator's
 * authority away: a token never carries more than its creator holds now.
 * Answers them, for this instance's revocation list once committed.
 */
export async function suspendAccountsIn(
  ctx: ServiceContext,
  tx: Tx,
  userId: string,
  reason: SuspensionReason,
  keep: readonly Role[] | null,
): Promise<{ id: number; jti: string; expiresAt: Date }[]> {
  const now = ctx.auth.now();
  const working = await tx.serviceAccount.findMany({
    where: { createdById: userId, revokedAt: null, suspendedAt: null, expiresAt: { gt: now } },
    select: { id: true, jti: true, expiresAt: true, roles: { select: { role: true } } },
  });
  const suspended = working.filter((a) => keep === null || a.roles.some((r) => !keep.includes(r.role)));
  if (suspended.length > 0) await announceTokenChange(tx, ctx.config.provider);
  for (const a of suspended) {
    await tx.serviceAccount.update({
      where: { id: a.id },
      data: { suspendedAt: now, suspendedReason: reason, statusChangedAt: now },
    });
    await recordAudit(
      ctx,
      {
        action: 'service_account.suspended',
        targetType: 'ServiceAccount',
        targetId: a.id,
        details: { tokenId: a.jti, reason, creatorId: userId },
      },
      tx,
    );
  }
  return suspended;
}

/**
 * Hands a suspended account to another administrator who holds its roles
 * (and may grant them), which makes it work again; audited. Active accounts
 * can be handed over too (a creator leaving); revoked and expired ones
 * cannot.
 */
export async function transferServiceAccount(
  ctx: ServiceContext,
  id: unknown,
  toUserId: unknown,
  query: ServiceAccountQuery = {},
) {
  await authorizeNow(ctx, 'manageServiceAccounts');
  const accountId = parseAccountId(id);
  const targetId = parseUserId(toUserId, 'toUserId');
  const now = ctx.auth.now();
  const account = await ctx.db.serviceAccount.findUnique({ where: { id: accountId }, include: { roles: true } });
  if (!account) throw new NotFoundError(`Service account ${accountId} not found`);
  if (account.revokedAt) throw new ConflictError(`Service account ${account.id} is revoked`);
  if (account.expiresAt.getTime() <= now.getTime())
    throw new ConflictError(`Service account ${account.id} has expired`);
  const target = await ctx.db.user.findUnique({ where: { id: targetId }, include: { roles: true } });
  if (!target) throw new NotFoundError('User not found');
  const receiver: Principal = {
    kind: 'user',
    userId: target.id,
    serviceAccountId: null,
    userName: target.userName,
    roles: new Set(target.roles.map((r) => r.role)),
    tokenId: '',
    expiresAt: now,
  };
  const carried = account.roles.map((r) => r.role);
  const grantable = new Set(grantableRoles(receiver));
  if (!target.active || !receiver.roles.has('ADMINISTRATOR') || carried.some((role) => !grantable.has(role))) {
    throw new ForbiddenError(
      `Not authorized: ${target.userName} must be an active administrator who holds the account’s roles (${carried.join(', ')})`,
    );
  }
  const moved = await transact(ctx, async (tx) => {
    const updated = await tx.serviceAccount.update({
      ...(query as object),
      where: { id: account.id },
      data: { createdById: target.id, suspendedAt: null, suspendedReason: null, statusChangedAt: now },
    });
    await announceTokenChange(tx, ctx.config.provider);
    await recordAudit(
      ctx,
      {
        action: 'service_account.transferred',
        targetType: 'ServiceAccount',
        targetId: account.id,
        details: {
          tokenId: account.jti,
          fromUserId: account.createdById,
          toUserId: target.id,
          wasSuspended: account.suspendedAt !== null,
        },
      },
      tx,
    );
    return updated;
  });
  ctx.auth.revocations.setSuspended(account.jti, account.expiresAt, false);
  return moved;
}
