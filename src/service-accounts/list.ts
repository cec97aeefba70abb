import { z } from 'zod';
import { authorize } from '../access/policy.ts';
import type { ServiceContext } from '../context.ts';
import { adminPageLimits, keysetPage, type Ordering, type Page, type PageArgs, type ScanPart } from '../db/keyset.ts';
import { type LiteralLookups, literalContains, resolveLiteral } from '../db/literal.ts';
import { type Prisma, Role } from '../db/types.ts';
import { parseInput, string } from '../validation.ts';
import type { ServiceAccountQuery } from './ids.ts';
import { statusFilter, whereStatus } from './status.ts';

export type ServiceAccountOrderField = 'CREATED_AT' | 'EXPIRES_AT' | 'NAME' | 'LAST_USED_AT';

/** The column of each ordering. An account's name is its purpose: NAME orders by it. */
const orderColumns = {
  CREATED_AT: { column: 'createdAt', kind: 'date', nullable: false },
  EXPIRES_AT: { column: 'expiresAt', kind: 'date', nullable: false },
  NAME: { column: 'purpose', kind: 'text', nullable: false, maxLength: 500 },
  LAST_USED_AT: { column: 'lastUsedAt', kind: 'date', nullable: true },
} as const;

/** A token id (`jti`) as the server makes them: a UUID. */
const tokenId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const connectionFilter = z
  .object({
    status: statusFilter,
    search: string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').nullish(),
    createdBy: z.string().trim().uuid('must be a user id').nullish(),
    role: z.enum(Role, { error: 'must be a role' }).nullish(),
  })
  .nullish();

export interface ServiceAccountConnectionArgs extends PageArgs {
  filter?: unknown;
  orderBy?: { field: ServiceAccountOrderField; direction?: 'ASC' | 'DESC' | null } | null;
}

/**
 * A page of service accounts (a Relay connection), by keyset on the chosen
 * column (`src/db/keyset.ts`); default newest first. `search` finds text in
 * the purpose literally (`%` and `_` are characters), ignoring case, or a
 * whole token id; `status`
 * is computed as `statusOf` computes it, in SQL, at the caller's clock.
 */
export async function serviceAccountsConnection(
  ctx: ServiceContext,
  args: ServiceAccountConnectionArgs,
  query: ServiceAccountQuery = {},
): Promise<Page<object>> {
  authorize(ctx.principal, 'manageServiceAccounts');
  const filter = parseInput(connectionFilter, args.filter ?? null, 'filter');
  const field = args.orderBy?.field ?? 'CREATED_AT';
  const desc = (args.orderBy?.direction ?? (args.orderBy ? 'ASC' : 'DESC')) === 'DESC';
  const ordering: Ordering = {
    key: `serviceAccounts:${field}:${desc ? 'DESC' : 'ASC'}`,
    desc,
    ...orderColumns[field],
  };
  const lookups: LiteralLookups = [];
  // The status rule is `whereStatus`'s, beside `statusOf`, at the caller's (injected) clock.
  const and: Prisma.ServiceAccountWhereInput[] = [
    whereStatus(filter?.status, ctx.auth.now(), ctx.config.serviceAccounts.expiringSoonDays),
  ];
  if (filter?.search) {
    const inPurpose = literalContains(
      'ServiceAccount',
      'purpose',
      filter.search,
      ctx.config.provider,
      lookups,
      'filter.search',
    );
    // A whole token id (how logs and audit events name an account) finds its account too.
    and.push(tokenId.test(filter.search) ? { OR: [inPurpose, { jti: filter.search.toLowerCase() }] } : inPurpose);
  }
  if (filter?.createdBy) and.push({ createdById: filter.createdBy });
  if (filter?.role) and.push({ roles: { some: { role: filter.role } } });
  const where: Prisma.ServiceAccountWhereInput = { AND: and };
  return keysetPage(args, {
    ordering,
    idKind: 'integer',
    limits: adminPageLimits,
    prepare: () => resolveLiteral(ctx.db, lookups),
    read: (part: ScanPart, take: number) =>
      ctx.db.serviceAccount.findMany({
        ...(query as object),
        where: { AND: [where, part.where as Prisma.ServiceAccountWhereInput] },
        orderBy: part.orderBy as Prisma.ServiceAccountOrderByWithRelationInput[],
        take,
      }),
    count: () => ctx.db.serviceAccount.count({ where }),
  });
}
