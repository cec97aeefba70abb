import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { authorize, authorizeGrant } from '../access/policy.ts';
import type { Principal } from '../access/principal.ts';
import { recordAudit } from '../audit/writer.ts';
import type { ServiceContext } from '../context.ts';
import type { Prisma } from '../db/types.ts';
import { Role } from '../db/types.ts';
import { BadUserInputError, ConflictError, NotFoundError } from '../errors.ts';
import { parseInput, string } from '../validation.ts';

export type ServiceAccountStatus = 'ACTIVE' | 'EXPIRING_SOON' | 'EXPIRED' | 'REVOKED';

const day = 86_400_000;

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

export const statusFilter = z.enum(['ACTIVE', 'EXPIRING_SOON', 'EXPIRED', 'REVOKED']).nullish();

/** The status of an account at `now`. */
export function statusOf(
  account: { revokedAt: Date | null; expiresAt: Date },
  now: Date,
  expiringSoonDays: number,
): ServiceAccountStatus {
  if (account.revokedAt) return 'REVOKED';
  if (account.expiresAt.getTime() <= now.getTime()) return 'EXPIRED';
  if (account.expiresAt.getTime() <= now.getTime() + expiringSoonDays * day) return 'EXPIRING_SOON';
  return 'ACTIVE';
}

function whereStatus(status: ServiceAccountStatus | null | undefined, now: Date, soonDays: number) {
  const soon = new Date(now.getTime() + soonDays * day);
  switch (status) {
    case 'REVOKED':
      return { revokedAt: { not: null } };
    case 'EXPIRED':
      return { revokedAt: null, expiresAt: { lte: now } };
    case 'EXPIRING_SOON':
      return { revokedAt: null, expiresAt: { gt: now, lte: soon } };
    case 'ACTIVE':
      // Every account whose token still works, those expiring soon included.
      return { revokedAt: null, expiresAt: { gt: now } };
    default:
      return {};
  }
}

function parseAccountId(value: unknown): number {
  const text = String(value ?? '').trim();
  if (!/^[1-9]\d{0,9}$/.test(text) || Number(text) > 2_147_483_647) {
    throw new BadUserInputError('id: must be a positive integer service-account id', 'id');
  }
  return Number(text);
}

/** What GraphQL asks of a row (Pothos's `query`), so that a mutation reads its row once. */
export type ServiceAccountQuery = { include?: Prisma.ServiceAccountInclude; select?: Prisma.ServiceAccountSelect };

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
  const admin = authorize(ctx.principal, 'manageServiceAccounts');
  const data = parseInput(createInput(ctx.config.serviceAccounts.maxDays), input, 'input');
  const roles = [...new Set(data.roles ?? [Role.AUDITOR])].sort();
  authorizeGrant(admin, roles);
  const { token, account } = await issue(
    ctx,
    admin,
    { durationDays: data.durationDays, purpose: data.purpose, roles },
    ctx.db,
    query,
  );
  await recordAudit(ctx, {
    action: 'service_account.created',
    targetType: 'ServiceAccount',
    targetId: account.id,
    details: { tokenId: account.jti, purpose: account.purpose, roles, expiresAt: account.expiresAt.toISOString() },
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
  const admin = authorize(ctx.principal, 'manageServiceAccounts');
  const account = await findAccount(ctx, id);
  if (account.revokedAt) throw new ConflictError(`Service account ${account.id} is already revoked`);
  const revoked = await ctx.db.serviceAccount.update({
    ...(query as object),
    where: { id: account.id },
    data: { revokedAt: ctx.auth.now(), revokedById: admin.userId },
  });
  ctx.auth.revocations.revoke(revoked.jti, revoked.expiresAt);
  await recordAudit(ctx, {
    action: 'service_account.revoked',
    targetType: 'ServiceAccount',
    targetId: revoked.id,
    details: { tokenId: revoked.jti, purpose: revoked.purpose },
  });
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
  const admin = authorize(ctx.principal, 'manageServiceAccounts');
  const durationDaysValue = parseInput(durationDays(ctx.config.serviceAccounts.maxDays), days, 'durationDays');
  const old = await findAccount(ctx, id);
  if (old.revokedAt) throw new ConflictError(`Service account ${old.id} is revoked: create a new one instead`);
  const roles = old.roles.map((r) => r.role).sort();
  authorizeGrant(admin, roles);
  const { token, account } = await ctx.db.$transaction(async (tx) => {
    const issued = await issue(
      ctx,
      admin,
      { durationDays: durationDaysValue, purpose: old.purpose, roles, rotatedFromId: old.id },
      tx as ServiceContext['db'],
      query,
    );
    await tx.serviceAccount.update({
      where: { id: old.id },
      data: { revokedAt: ctx.auth.now(), revokedById: admin.userId },
    });
    return issued;
  });
  ctx.auth.revocations.revoke(old.jti, old.expiresAt);
  await recordAudit(ctx, {
    action: 'service_account.rotated',
    targetType: 'ServiceAccount',
    targetId: old.id,
    details: { fromId: old.id, toId: account.id, fromTokenId: old.jti, toTokenId: account.jti },
  });
  await recordAudit(ctx, {
    action: 'service_account.created',
    targetType: 'ServiceAccount',
    targetId: account.id,
    details: { tokenId: account.jti, purpose: account.purpose, roles, rotatedFromId: old.id },
  });
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
