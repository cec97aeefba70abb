import { authorize } from '../access/policy.ts';
import type { ServiceContext } from '../context.ts';
import {
  decodeCursor,
  edgeOf,
  endCursors,
  type Ordering,
  type Page,
  type PageArgs,
  pageSize,
  readPage,
  type ScanPart,
} from '../db/keyset.ts';
import { type LiteralLookups, resolveLiteral } from '../db/literal.ts';
import type { Prisma } from '../db/types.ts';
import { BadUserInputError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { whereOf } from './filter.ts';
import { defaultPageSize, issueFilter, maxPageSize } from './input.ts';
import { regscaleOrder, regscaleWhere } from './where.ts';
import { withColumns } from './write.ts';

export type IssueOrderField = 'DUE_DATE' | 'SEVERITY' | 'CREATED_AT' | 'UPDATED_AT' | 'ID';
export type OrderDirection = 'ASC' | 'DESC';

const orderColumns = {
  // Unset: a due date is shared by many rows, but the nulls after the last one are asked at once.
  DUE_DATE: { column: 'dueDate', kind: 'date', nullable: true },
  SEVERITY: { column: 'severityRank', kind: 'integer', nullable: false, ties: 'many' },
  CREATED_AT: { column: 'createdAt', kind: 'date', nullable: false, ties: 'few' },
  UPDATED_AT: { column: 'updatedAt', kind: 'date', nullable: false, ties: 'few' },
  ID: { column: 'id', kind: 'integer', nullable: false },
} as const;

export interface ListIssuesArgs extends PageArgs {
  filter?: unknown;
  orderBy?: { field: IssueOrderField; direction: OrderDirection } | null;
}

export type IssuePage<T> = Page<T>;

/**
 * A page of issues by keyset pagination (`src/db/keyset.ts`), ordered by
 * the chosen column (nulls last), then id as tie-breaker; default by id.
 */
export async function listIssues<Include extends Prisma.IssueInclude | undefined>(
  ctx: ServiceContext,
  args: ListIssuesArgs,
  query: { include?: Include; select?: Prisma.IssueSelect } = {},
): Promise<IssuePage<Prisma.IssueGetPayload<{ include: Include }>>> {
  authorize(ctx.principal, 'readIssues');
  const { size, forward } = pageSize(args, { defaultSize: defaultPageSize, maxSize: maxPageSize });
  const filter = parseInput(issueFilter, args.filter ?? null, 'filter');
  const orderField = args.orderBy?.field ?? 'ID';
  const desc = args.orderBy?.direction === 'DESC';
  // Issue cursors carry no list name (they came first, and stay as they were).
  const ordering: Ordering = { key: `${orderField}:${desc ? 'DESC' : 'ASC'}`, desc, ...orderColumns[orderField] };
  const cursorText = forward ? args.after : args.before;
  const cursor = cursorText ? decodeCursor(cursorText, ordering, 'integer', forward ? 'after' : 'before') : null;

  const lookups: LiteralLookups = [];
  const where = whereOf(filter, ctx.config.provider, lookups);
  await resolveLiteral(ctx.db, lookups);
  const read = (part: ScanPart, take: number) =>
    ctx.db.issue.findMany({
      ...(withColumns(query, 'id', ordering.column as keyof Prisma.IssueSelect) as object),
      where: { AND: [where, part.where as Prisma.IssueWhereInput] },
      orderBy: part.orderBy as Prisma.IssueOrderByWithRelationInput[],
      take,
    }) as unknown as Promise<Prisma.IssueGetPayload<{ include: Include }>[]>;
  return readPage(ordering, size, forward, cursor, read, () => ctx.db.issue.count({ where }));
}

export interface OffsetIssuesArgs {
  skip?: number | null;
  take?: number | null;
  where?: unknown;
  order?: unknown;
}

/**
 * A page of issues in RegScale's (HotChocolate's) collection-segment
 * dialect: `skip`/`take` offset paging with a `where` filter and an
 * `order`. Offset paging reads the skipped rows, unlike the cursor pages
 * above; the `where` conditions most used (`parentId` with `parentModule`,
 * `securityPlanId`, `integrationFindingId`) are index-backed. Each edge's
 * cursor is its place in id order, as in the Relay dialect's default order.
 */
export async function offsetIssues<Include extends Prisma.IssueInclude | undefined>(
  ctx: ServiceContext,
  args: OffsetIssuesArgs,
  query: { include?: Include; select?: Prisma.IssueSelect } = {},
): Promise<IssuePage<Prisma.IssueGetPayload<{ include: Include }>>> {
  authorize(ctx.principal, 'readIssues');
  const skip = args.skip ?? 0;
  const take = args.take ?? defaultPageSize;
  if (!Number.isInteger(skip) || skip < 0 || skip > 1e9) {
    throw new BadUserInputError('skip: must be an integer from 0 to 1000000000', 'skip');
  }
  if (!Number.isInteger(take) || take < 0 || take > maxPageSize) {
    throw new BadUserInputError(`take: must be an integer from 0 to ${maxPageSize}`, 'take');
  }
  const lookups: LiteralLookups = [];
  const where = regscaleWhere(args.where, ctx.config.provider, lookups);
  await resolveLiteral(ctx.db, lookups);
  const orderBy = regscaleOrder(args.order);
  const rows = (await ctx.db.issue.findMany({
    ...(withColumns(query, 'id') as object),
    where,
    orderBy,
    skip,
    take: take + 1,
  })) as unknown as (Prisma.IssueGetPayload<{ include: Include }> & { id: number })[];
  const page = rows.slice(0, take);
  const edges = page.map((node) => edgeOf(node, 'ID:ASC', node.id, node.id));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > take, hasPreviousPage: skip > 0, ...endCursors(edges) },
    totalCount: () => ctx.db.issue.count({ where }),
  };
}
