import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { recordAudit, writeAudit } from '../audit/writer.ts';
import { decoyHash, verifyPassword } from '../auth/password.ts';
import type { ServiceContext } from '../context.ts';
import { transact } from '../db/transaction.ts';
import type { Role } from '../db/types.ts';
import { RateLimitedError, UnauthenticatedError } from '../errors.ts';
import { parseInput, string } from '../validation.ts';

const credentials = z.object({
  userName: string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
  password: string().min(1, 'is required').max(1024, 'must be at most 1024 characters'),
});

export interface LoginResult {
  token: string;
  expiresAt: Date;
  user: { id: string; userName: string };
  roles: Role[];
}

/** One message for every failed login, so it tells nothing about which part was wrong. */
const invalidCredentials = 'Invalid user name or password';

/**
 * Checks a user name and password and issues a session token carrying the
 * user's roles, valid for the session timeout. An unknown user name, a
 * wrong password and an inactive user fail alike, and take alike long (the
 * password is checked against a decoy hash when the user does not exist).
 */
export async function login(ctx: ServiceContext, input: unknown): Promise<LoginResult> {
  const { userName, password } = parseInput(credentials, input);
  const userKey = userName.toLowerCase();
  const { throttle } = ctx.auth;
  const decision = await throttle.check(userKey, ctx.clientIp);
  if ('refuseForSeconds' in decision) {
    ctx.auth.onFailure('login_throttled');
    await recordAudit(ctx, { action: 'auth.login.throttled', details: { userName } });
    throw new RateLimitedError(decision.refuseForSeconds, 'Too many failed logins: try again later');
  }
  if (decision.delayMs) await sleep(decision.delayMs);

  const user = await ctx.db.user.findUnique({ where: { userNameKey: userKey }, include: { roles: true } });
  const passwordOk = await verifyPassword(password, user?.passwordHash ?? (await decoyHash));
  if (!user || !passwordOk || !user.active) {
    await throttle.recordFailure(userKey, ctx.clientIp);
    const reason = !user ? 'unknown_user' : !passwordOk ? 'wrong_password' : 'inactive_user';
    ctx.log.info({ reason }, 'login failed');
    ctx.auth.onFailure(`login_${reason}`);
    await recordAudit(ctx, {
      action: 'auth.login.failed',
      targetType: user ? 'User' : undefined,
      targetId: user?.id,
      details: { userName, reason },
    });
    throw new UnauthenticatedError(invalidCredentials);
  }
  await throttle.recordSuccess(userKey, ctx.clientIp);

  const now = ctx.auth.now();
  const roles = user.roles.map((r) => r.role).sort();
  const signed = await ctx.auth.tokens.sign({
    kind: 'user',
    subject: user.id,
    userName: user.userName,
    roles,
    expiresAt: new Date(now.getTime() + ctx.auth.sessionTimeoutMs),
  });
  // The token is answered only once its session, and the event, are stored.
  await transact(ctx, async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { lastLoginAt: now } });
    await tx.session.create({
      data: {
        id: signed.tokenId,
        userId: user.id,
        createdAt: now,
        expiresAt: signed.expiresAt,
        clientIp: ctx.clientIp,
        userAgent: ctx.request?.headers.get('user-agent')?.slice(0, 300) ?? null,
      },
    });
    await writeAudit(tx, {
      action: 'auth.login.succeeded',
      actor: { type: 'USER', userId: user.id, label: user.userName },
      targetType: 'User',
      targetId: user.id,
      details: { tokenId: signed.tokenId, roles, expiresAt: signed.expiresAt.toISOString() },
      clientIp: ctx.clientIp,
      requestId: ctx.requestId,
    });
  });
  return { token: signed.token, expiresAt: signed.expiresAt, user: { id: user.id, userName: user.userName }, roles };
}
