import { authorizeNow } from '../access/current.ts';
import { authorize } from '../access/policy.ts';
import { recordAudit } from '../audit/writer.ts';
import { announceTokenChange } from '../auth/change-feed.ts';
import { hashPassword, verifyPassword } from '../auth/password.ts';
import type { ServiceContext } from '../context.ts';
import { transact } from '../db/transaction.ts';
import { Role } from '../db/types.ts';
import { BadUserInputError, NotFoundError } from '../errors.ts';
import { suspendAccountsIn } from '../service-accounts/suspension.ts';
import { type EndReason, endSessionsIn } from '../sessions/sessions.ts';
import { parseInput, string } from '../validation.ts';
import { parseNewPassword, roles as rolesInput } from './input.ts';
import { findUser, keepingAnAdministrator, type UserQuery } from './service.ts';

type Tx = ServiceContext['db'];

/**
 * Ends every token of a user issued until now, for good: their sessions
 * end (each audited) and the user's cut-off moves to now, so even a token
 * whose session was never stored, or a reactivation later, revives none.
 * Runs in the transaction of the change that takes the authority away.
 */
async function endAuthorityIn(ctx: ServiceContext, tx: Tx, userId: string, reason: EndReason) {
  const now = ctx.auth.now();
  await tx.user.update({ where: { id: userId }, data: { tokensValidAfter: now } });
  await announceTokenChange(tx, ctx.config.provider);
  return { cutoff: now, sessions: await endSessionsIn(ctx, tx, { userId }, reason) };
}

/** Tells this instance's revocation list what a committed change ended (other instances poll). */
function tellRevocations(
  ctx: ServiceContext,
  user: { id: string; active: boolean },
  ended: {
    cutoff: Date | null;
    sessions: { id: string; expiresAt: Date }[];
    accounts: { jti: string; expiresAt: Date }[];
  },
) {
  ctx.auth.revocations.endSessions(ended.sessions);
  for (const a of ended.accounts) ctx.auth.revocations.setSuspended(a.jti, a.expiresAt, true);
  ctx.auth.revocations.setUser(user.id, { active: user.active, tokensValidAfter: ended.cutoff });
}

/**
 * Replaces a user's roles. Roles added reach the user's token at the next
 * login; a role removed stops at once: the user's sessions end, and their
 * service accounts that carry a role they no longer hold are suspended.
 */
export async function setUserRoles(ctx: ServiceContext, id: unknown, input: unknown, query: UserQuery = {}) {
  await authorizeNow(ctx, 'manageUsers');
  const user = await findUser(ctx, id);
  const wanted = [...new Set(parseInput(rolesInput, input, 'roles'))].sort();
  const before = user.roles.map((r) => r.role).sort();
  const removed = before.filter((role) => !wanted.includes(role));
  const { row, ended } = await keepingAnAdministrator(ctx, async (tx) => {
    await tx.userRole.deleteMany({ where: { userId: user.id } });
    await tx.userRole.createMany({ data: wanted.map((role) => ({ userId: user.id, role })) });
    await recordAudit(
      ctx,
      { action: 'user.roles_changed', targetType: 'User', targetId: user.id, details: { before, after: wanted } },
      tx,
    );
    const taken =
      removed.length > 0
        ? {
            ...(await endAuthorityIn(ctx, tx, user.id, 'role_removed')),
            accounts: await suspendAccountsIn(ctx, tx, user.id, 'creator_role_removed', [...wanted, Role.AUDITOR]),
          }
        : { cutoff: user.tokensValidAfter, sessions: [], accounts: [] };
    return { row: await tx.user.findUniqueOrThrow({ ...(query as object), where: { id: user.id } }), ended: taken };
  });
  tellRevocations(ctx, user, ended);
  return row;
}

/**
 * Deactivates a user: no further logins, every token issued so far refused
 * for good (within a second on every instance), and their service accounts
 * suspended. The last active administrator cannot be deactivated.
 */
export async function deactivateUser(ctx: ServiceContext, id: unknown, query: UserQuery = {}) {
  await authorizeNow(ctx, 'manageUsers');
  const user = await findUser(ctx, id);
  const { row, ended } = await keepingAnAdministrator(ctx, async (tx) => {
    const updated = await tx.user.update({ where: { id: user.id }, data: { active: false } });
    await recordAudit(ctx, { action: 'user.deactivated', targetType: 'User', targetId: user.id }, tx);
    const taken = await endAuthorityIn(ctx, tx, user.id, 'deactivated');
    const accounts = await suspendAccountsIn(ctx, tx, user.id, 'creator_deactivated', null);
    const read = await tx.user.findUniqueOrThrow({ ...(query as object), where: { id: updated.id } });
    return { row: read, ended: { ...taken, accounts } };
  });
  tellRevocations(ctx, { id: user.id, active: false }, ended);
  return row;
}

/** Sets a new password for a user; every token of theirs issued so far is refused for good. Administrators. */
export async function resetUserPassword(ctx: ServiceContext, id: unknown, newPassword: unknown, query: UserQuery = {}) {
  await authorizeNow(ctx, 'manageUsers');
  const user = await findUser(ctx, id);
  const hash = await hashPassword(parseNewPassword(newPassword));
  const { row, ended } = await transact(ctx, async (tx) => {
    const updated = await tx.user.update({
      ...(query as object),
      where: { id: user.id },
      data: { passwordHash: hash },
    });
    await recordAudit(ctx, { action: 'user.password_reset', targetType: 'User', targetId: user.id }, tx);
    const taken = await endAuthorityIn(ctx, tx as Tx, user.id, 'password_reset');
    return { row: updated, ended: { ...taken, accounts: [] } };
  });
  tellRevocations(ctx, user, ended);
  return row;
}

const currentPassword = string().min(1, 'is required').max(1024, 'must be at most 1024 characters');

/**
 * Changes the caller's own password, given the current one; the caller's
 * other sessions end, this one goes on.
 */
export async function changePassword(ctx: ServiceContext, input: { currentPassword: unknown; newPassword: unknown }) {
  const principal = authorize(ctx.principal, 'ownSessions');
  const current = parseInput(currentPassword, input.currentPassword, 'currentPassword');
  const next = parseNewPassword(input.newPassword);
  const user = await ctx.db.user.findUnique({ where: { id: principal.userId } });
  if (!user) throw new NotFoundError('User not found');
  if (!(await verifyPassword(current, user.passwordHash))) {
    await recordAudit(ctx, { action: 'user.password_change_failed', targetType: 'User', targetId: user.id });
    throw new BadUserInputError('currentPassword: is not your current password', 'currentPassword');
  }
  if (current === next) throw new BadUserInputError('newPassword: must differ from the current one', 'newPassword');
  const hash = await hashPassword(next);
  const sessions = await transact(ctx, async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { passwordHash: hash } });
    await recordAudit(ctx, { action: 'user.password_changed', targetType: 'User', targetId: user.id }, tx);
    return endSessionsIn(ctx, tx, { userId: user.id, id: { not: principal.tokenId } }, 'password_changed');
  });
  ctx.auth.revocations.endSessions(sessions);
  return true;
}
