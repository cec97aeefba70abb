import { z } from 'zod';
import { allows, authorize, refusal } from '../access/policy.ts';
import type { ServiceContext } from '../context.ts';
import { adminPageLimits, keysetPage, type Ordering, type Page, type PageArgs, type ScanPart } from '../db/keyset.ts';
import { type LiteralLookups, literalContains, resolveLiteral } from '../db/literal.ts';
import { type Prisma, Role } from '../db/types.ts';
import { parseInput, string } from '../validation.ts';
import type { UserQuery } from './service.ts';

export type UserOrderField = 'USER_NAME' | 'CREATED_AT' | 'LAST_LOGIN_AT';

/** The column of each ordering; user names order by their lower-cased login key (unique). */
const orderColumns = {
  USER_NAME: { column: 'userNameKey', kind: 'text', nullable: false, maxLength: 100 },
  CREATED_AT: { column: 'createdAt', kind: 'date', nullable: false },
  LAST_LOGIN_AT: { column: 'lastLoginAt', kind: 'date', nullable: true },
} as const;

const connectionFilter = z
  .object({
    search: string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').nullish(),
    role: z.enum(Role, { error: 'must be a role' }).nullish(),
    active: z.boolean({ error: 'must be true or false' }).nullish(),
  })
  .nullish();

export interface UserConnectionArgs extends PageArgs {
  filter?: unknown;
  orderBy?: { field: UserOrderField; direction?: 'ASC' | 'DESC' | null } | null;
}

/**
 * A page of users (a Relay connection), by keyset on the chosen column
 * (`src/db/keyset.ts`); default by user name. `search` finds text in the
 * user name, display name and, for a caller who may read other users'
 * personal data (the policy's `readPersonalData`), the email, literally
 * and ignoring case. Filtering by the personal data `role` and `active`,
 * or ordering by `LAST_LOGIN_AT`, is refused to a caller who may not read
 * it: a filter would tell what the field hides.
 */
export async function usersConnection(
  ctx: ServiceContext,
  args: UserConnectionArgs,
  query: UserQuery = {},
): Promise<Page<object>> {
  authorize(ctx.principal, 'manageUsers');
  const filter = parseInput(connectionFilter, args.filter ?? null, 'filter');
  const field = args.orderBy?.field ?? 'USER_NAME';
  const personal = allows(ctx.principal, 'readPersonalData');
  if (!personal && (filter?.role != null || filter?.active != null || field === 'LAST_LOGIN_AT')) {
    throw refusal(ctx.principal, 'readPersonalData');
  }
  const desc = args.orderBy?.direction === 'DESC';
  const ordering: Ordering = { key: `users:${field}:${desc ? 'DESC' : 'ASC'}`, desc, ...orderColumns[field] };
  const lookups: LiteralLookups = [];
  const and: Prisma.UserWhereInput[] = [];
  if (filter?.search) {
    const columns = personal ? ['userName', 'displayName', 'email'] : ['userName', 'displayName'];
    const search = filter.search;
    and.push({
      OR: columns.map((column) =>
        literalContains('User', column, search, ctx.config.provider, lookups, 'filter.search'),
      ),
    });
  }
  if (filter?.role) and.push({ roles: { some: { role: filter.role } } });
  if (filter?.active != null) and.push({ active: filter.active });
  const where: Prisma.UserWhereInput = { AND: and };
  return keysetPage(args, {
    ordering,
    idKind: 'uuid',
    limits: adminPageLimits,
    prepare: () => resolveLiteral(ctx.db, lookups),
    read: (part: ScanPart, take: number) =>
      ctx.db.user.findMany({
        ...(query as object),
        where: { AND: [where, part.where as Prisma.UserWhereInput] },
        orderBy: part.orderBy as Prisma.UserOrderByWithRelationInput[],
        take,
      }),
    count: () => ctx.db.user.count({ where }),
  });
}
