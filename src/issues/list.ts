import { authorize } from '../access/policy.ts';
import type { ServiceContext } from '../context.ts';
import type { Prisma } from '../db/types.ts';
import { BadUserInputError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { whereOf } from './filter.ts';
import { defaultPageSize, issueFilter, maxPageSize } from './input.ts';
import { decodeCursor, encodeCursor, scanParts } from './keyset.ts';
import { type LiteralLookups, resolveLiteral } from './literal.ts';
import { regscaleOrder, regscaleWhere } from './where.ts';
import { withColumns } from './write.ts';

export type IssueOrderField = 'DUE_DATE' | 'SEVERITY' | 'CREATED_AT' | 'UPDATED_AT' | 'ID';
export type OrderDirection = 'ASC' | 'DESC';

const orderColumns = {
  DUE_DATE: { column: 'dueDate', nullable: true },
  SEVERITY: { column: 'severityRank', nullable: false },
  CREATED_AT: { column: 'createdAt', nullable: false },
  UPDATED_AT: { column: 'updatedAt', nullable: false },
  ID: { column: 'id', nullable: false },
} as const;

export interface ListIssuesArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  filter?: unknown;
  orderBy?: { field: IssueOrderField; direction: OrderDirection } | null;
}

/** An edge of a page: its node and what its cursor is made of, encoded only when asked for ({@link cursorOf}). */
export interface IssueEdgeOf<T> {
  node: T;
  order: string;
  value: unknown;
  id: number;
}

/** The opaque cursor of an edge. */
export const cursorOf = (edge: IssueEdgeOf<unknown>): string => encodeCursor(edge.order, edge.value, edge.id);

export interface IssuePage<T> {
  edges: IssueEdgeOf<T>[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** Counts every issue the filter matches; only called when asked for. */
  totalCount: () => Promise<number>;
}

function endCursors(edges: IssueEdgeOf<unknown>[]) {
  const [first, last] = [edges[0], edges.at(-1)];
  return { startCursor: first ? cursorOf(first) : null, endCursor: last ? cursorOf(last) : null };
}

/**
 * A page of issues by keyset pagination: the cursor holds the order value
 * and id of an edge, and the next page starts with a range condition on the
 * (order column, id) index, so the thousandth page costs what the first
 * does. Ordering is the chosen column (nulls last), then id as tie-breaker.
 */
export async function listIssues<Include extends Prisma.IssueInclude | undefined>(
  ctx: ServiceContext,
  args: ListIssuesArgs,
  query: { include?: Include; select?: Prisma.IssueSelect } = {},
): Promise<IssuePage<Prisma.IssueGetPayload<{ include: Include }>>> {
  authorize(ctx.principal, 'readIssues');
  const { first, last, after, before } = args;
  if (first != null && last != null) throw new BadUserInputError('first and last cannot be used together', 'last');
  for (const [name, value] of [
    ['first', first],
    ['last', last],
  ] as const) {
    if (value != null && (!Number.isInteger(value) || value < 0 || value > maxPageSize)) {
      throw new BadUserInputError(`${name}: must be an integer from 0 to ${maxPageSize}`, name);
    }
  }
  const filter = parseInput(issueFilter, args.filter ?? null, 'filter');
  const orderField = args.orderBy?.field ?? 'ID';
  const desc = args.orderBy?.direction === 'DESC';
  const order = `${orderField}:${desc ? 'DESC' : 'ASC'}`;
  const { column, nullable } = orderColumns[orderField];
  const forward = last == null;
  const size = (forward ? first : last) ?? defaultPageSize;
  const cursorText = forward ? after : before;
  const cursor = cursorText ? decodeCursor(cursorText, order, forward ? 'after' : 'before') : null;

  const lookups: LiteralLookups = [];
  const where = whereOf(filter, ctx.config.provider, lookups);
  await resolveLiteral(ctx.db, lookups);
  // Each part is one index range in scan order, asked for all at once (a page that starts near the
  // end of one range needs the next: sequential round trips made a deep page slower than the
  // first); later parts only fill what is left of the page.
  const parts = scanParts(column, nullable, desc, forward, cursor);
  const found = await Promise.all(
    parts.map((part) =>
      ctx.db.issue.findMany({
        ...(withColumns(query, 'id', column) as object),
        where: { AND: [where, part.where] },
        orderBy: part.orderBy,
        take: size + 1,
      }),
    ),
  );
  const rows = (
    found.flat() as unknown as (Prisma.IssueGetPayload<{ include: Include }> & Record<string, unknown>)[]
  ).slice(0, size + 1);
  const more = rows.length > size;
  const page = rows.slice(0, size);
  if (!forward) page.reverse();
  const edges = page.map((node) => ({ node, order, value: node[column], id: node.id as number }));
  return {
    edges,
    pageInfo: {
      hasNextPage: forward ? more : cursor !== null,
      hasPreviousPage: forward ? cursor !== null : more,
      ...endCursors(edges),
    },
    totalCount: () => ctx.db.issue.count({ where }),
  };
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
  const edges = page.map((node) => ({ node, order: 'ID:ASC', value: node.id, id: node.id }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > take, hasPreviousPage: skip > 0, ...endCursors(edges) },
    totalCount: () => ctx.db.issue.count({ where }),
  };
}
