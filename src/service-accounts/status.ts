import { z } from 'zod';
import type { Prisma } from '../db/types.ts';

export type ServiceAccountStatus = 'ACTIVE' | 'EXPIRING_SOON' | 'EXPIRED' | 'REVOKED' | 'SUSPENDED';

export const day = 86_400_000;

export const statusFilter = z.enum(['ACTIVE', 'EXPIRING_SOON', 'EXPIRED', 'REVOKED', 'SUSPENDED']).nullish();

/**
 * The status of an account at `now`: revoked and expired are final;
 * a suspended one works again only if it is transferred.
 */
export function statusOf(
  account: { revokedAt: Date | null; suspendedAt: Date | null; expiresAt: Date },
  now: Date,
  expiringSoonDays: number,
): ServiceAccountStatus {
  if (account.revokedAt) return 'REVOKED';
  if (account.expiresAt.getTime() <= now.getTime()) return 'EXPIRED';
  if (account.suspendedAt) return 'SUSPENDED';
  if (account.expiresAt.getTime() <= now.getTime() + expiringSoonDays * day) return 'EXPIRING_SOON';
  return 'ACTIVE';
}

/** The condition that selects accounts of a status at `now`. */
export function whereStatus(
  status: ServiceAccountStatus | null | undefined,
  now: Date,
  soonDays: number,
): Prisma.ServiceAccountWhereInput {
  const soon = new Date(now.getTime() + soonDays * day);
  switch (status) {
    case 'REVOKED':
      return { revokedAt: { not: null } };
    case 'EXPIRED':
      return { revokedAt: null, expiresAt: { lte: now } };
    case 'SUSPENDED':
      return { revokedAt: null, suspendedAt: { not: null }, expiresAt: { gt: now } };
    case 'EXPIRING_SOON':
      return { revokedAt: null, suspendedAt: null, expiresAt: { gt: now, lte: soon } };
    case 'ACTIVE':
      // Every account whose token works, those expiring soon included.
      return { revokedAt: null, suspendedAt: null, expiresAt: { gt: now } };
    default:
      return {};
  }
}
