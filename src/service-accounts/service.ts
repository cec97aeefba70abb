import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { authorizeNow } from '../access/current.ts';
import { authorize, authorizeGrant } from '../access/policy.ts';
import type { Principal } from '../access/principal.ts';
import { recordAudit } from '../audit/writer.ts';
import { announceTokenChange } from '../auth/change-feed.ts';
import type { ServiceContext } from '../context.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { transact } from '../db/transaction.ts';
import type { Prisma } from '../db/types.ts';
import { Role } from '../db/types.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { parseInput, string } from '../validation.ts';
import { parseAccountId, type ServiceAccountQuery } from './ids.ts';
import { day, statusFilter, whereStatus } from './status.ts';

function durationDays(max: number) {
  return z
    .number({ error: (i) => (i.input === undefined ? 'is required' : 'must be a whole number of days') })
    .int('must be a whole number of days')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`);
}

function createInput(max: number) {
  return z.object({
    durationDays: durationDays(max),
    purpose: string().trim().min(3, 'must be at least 3 characters').max(500, 'must be at most 500 characters'),
    roles: z.array(z.enum(Role)).min(1, 'must name at least one role').max(Object.keys(Role).length).nullish(),
  });
}

/**
 * Makes the account row and its token. Only the token's id (`jti`) is
 * stored: the token itself is answered once and cannot be read again.
 */
async function issue(
  ctx: ServiceContext,
  admin: Principal,
  data: { durationDays: number; purpose: string; roles: Role[]; rotatedFromId?: number },
  tx: ServiceContext['db'] = ctx.db,
  query: ServiceAccountQuery = {},
) {
  const now = ctx.auth.now();
  const expiresAt = new Date(now.getTime() + data.durationDays * day);
  const jti = randomUUID();
  const account = await tx.serviceAccount.create({
    ...(query as object),
    data: {
      jti,
      purpose: data.purpose,
      createdById: admin.userId,
      createdAt: now,
      expiresAt,
      rotatedFromId: data.rotatedFromId ?? null,
      roles: { create: data.roles.map((role) => ({ role })) },
    },
  });
  const signed = await ctx.auth.tokens.sign({
    kind: 'service_account',
    subject: admin.userId,
    userName: `service-account-${account.id}`,
    roles: data.roles,
    expiresAt,
    tokenId: jti,
    serviceAccountId: account.id,
  });
  return { token: signed.token, account };
}

/** Creates a service account and answers its token, shown this once. */
export async function createServiceAccount(ctx: ServiceContext, input: unknown, query: ServiceAccountQuery = {}) {
  const admin = await authorizeNow(ctx, 'manageServiceAccounts');
  const data = parseInput(createInput(ctx.config.serviceAccounts.maxDays), input, 'input');
  const roles = [...new Set(data.roles ?? [Role.AUDITOR])].sort();
  authorizeGrant(admin, roles);
  const { token, account } = await transact(ctx, async (tx) => {
    const issued = await issue(
      ctx,
      admin,
      { durationDays: data.durationDays, purpose: data.purpose, roles },
      tx as ServiceContext['db'],
      query,
    );
    await recordAudit(
      ctx,
      {
        action: 'service_account.created',
        targetType: 'ServiceAccount',
        targetId: issued.account.id,
        details: {
          tokenId: issued.account.jti,
          purpose: data.purpose,
          roles,
          expiresAt: issued.account.expiresAt.toISOString(),
        },
      },
      tx,
    );
    return issued;
  });
  return { token, serviceAccount: account };
}

async function findAccount(ctx: ServiceContext, id: unknown) {
  const accountId = parseAccountId(id);
  const account = await ctx.db.serviceAccount.findUnique({ where: { id: accountId }, include: { roles: true } });
  if (!account) throw new NotFoundError(`Service account ${accountId} not found`);
  return account;
}

/** Revokes an account's token: refused from the next request here, within a second everywhere. */
export async function revokeServiceAccount(ctx: ServiceContext, id: unknown, query: ServiceAccountQuery = {}) {
  const admin = await authorizeNow(ctx, 'manageServiceAccounts');
  const account = await findAccount(ctx, id);
  if (account.revokedAt) throw new ConflictError(`Service account ${account.id} is already revoked`);
  const revoked = await transact(ctx, async (tx) => {
    const now = ctx.auth.now();
    // Only one of two revocations at once wins; the other is told it came second.
    const { count } = await tx.serviceAccount.updateMany({
      where: { id: account.id, revokedAt: null },
      data: { revokedAt: now, revokedById: admin.userId, statusChangedAt: now },
    });
    if (count === 0) throw new ConflictError(`Service account ${account.id} is already revoked`);
    await announceTokenChange(tx, ctx.config.provider);
    await recordAudit(
      ctx,
      {
        action: 'service_account.revoked',
        targetType: 'ServiceAccount',
        targetId: account.id,
        details: { tokenId: account.jti, purpose: account.purpose },
      },
      tx,
    );
    return tx.serviceAccount.findUniqueOrThrow({ ...(query as object), where: { id: account.id } });
  });
  ctx.auth.revocations.revoke(revoked.jti, revoked.expiresAt);
  return revoked;
}

/**
 * Issues a new token with the same purpose and roles for `durationDays`,
 * and revokes the old one at once; the two accounts are linked
 * (`rotatedFrom`) and in the audit trail.
 */
export async function rotateServiceAccount(
  ctx: ServiceContext,
  id: unknown,
  days: unknown,
  query: ServiceAccountQuery = {},
) {
  const admin = await authorizeNow(ctx, 'manageServiceAccounts');
  const durationDaysValue = parseInput(durationDays(ctx.config.serviceAccounts.maxDays), days, 'durationDays');
  const old = await findAccount(ctx, id);
  if (old.revokedAt) throw new ConflictError(`Service account ${old.id} is revoked: create a new one instead`);
  if (old.suspendedAt) throw new ConflictError(`Service account ${old.id} is suspended: transfer it first`);
  const roles = old.roles.map((r) => r.role).sort();
  authorizeGrant(admin, roles);
  let rotated: Awaited<ReturnType<typeof issue>>;
  try {
    rotated = await transact(ctx, async (tx) => {
      const now = ctx.auth.now();
      // Two rotations of one account at once: the first revokes it, the second finds it revoked.
      const { count } = await tx.serviceAccount.updateMany({
        where: { id: old.id, revokedAt: null, suspendedAt: null },
        data: { revokedAt: now, revokedById: admin.userId, statusChangedAt: now },
      });
      if (count === 0) throw new ConflictError(`Service account ${old.id} was revoked or rotated meanwhile`);
      await announceTokenChange(tx, ctx.config.provider);
      const issued = await issue(
        ctx,
        admin,
        { durationDays: durationDaysValue, purpose: old.purpose, roles, rotatedFromId: old.id },
        tx as ServiceContext['db'],
        query,
      );
      await recordAudit(
        ctx,
        {
          action: 'service_account.rotated',
          targetType: 'ServiceAccount',
          targetId: old.id,
          details: { fromId: old.id, toId: issued.account.id, fromTokenId: old.jti, toTokenId: issued.account.jti },
        },
        tx,
      );
      await recordAudit(
        ctx,
        {
          action: 'service_account.created',
          targetType: 'ServiceAccount',
          targetId: issued.account.id,
          details: { tokenId: issued.account.jti, purpose: old.purpose, roles, rotatedFromId: old.id },
        },
        tx,
      );
      return issued;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`Service account ${old.id} was rotated meanwhile`);
    throw error;
  }
  ctx.auth.revocations.revoke(old.jti, old.expiresAt);
  const { token, account } = rotated;
  return { token, serviceAccount: account };
}

export async function listServiceAccounts<Q extends { include?: Prisma.ServiceAccountInclude }>(
  ctx: ServiceContext,
  filter: { status?: unknown } | null | undefined,
  query?: Q,
) {
  authorize(ctx.principal, 'manageServiceAccounts');
  const status = parseInput(statusFilter, filter?.status ?? null, 'filter.status');
  return ctx.db.serviceAccount.findMany({
    ...(query as object),
    where: whereStatus(status, ctx.auth.now(), ctx.config.serviceAccounts.expiringSoonDays),
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
}

export async function getServiceAccount<Q extends { include?: Prisma.ServiceAccountInclude }>(
  ctx: ServiceContext,
  id: unknown,
  query?: Q,
) {
  authorize(ctx.principal, 'manageServiceAccounts');
  const accountId = parseAccountId(id);
  const account = await ctx.db.serviceAccount.findUnique({ ...(query as object), where: { id: accountId } });
  if (!account) throw new NotFoundError(`Service account ${accountId} not found`);
  return account;
}
