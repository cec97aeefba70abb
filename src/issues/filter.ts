import type { Config } from '../config.ts';
import { type LiteralLookups, literalContains } from '../db/literal.ts';
import type { Prisma } from '../db/types.ts';
import type { IssueFilter } from './input.ts';

/** The Prisma condition of a parsed filter; every condition must hold, each on an indexed column. */
export function whereOf(
  filter: IssueFilter,
  provider: Config['provider'],
  lookups: LiteralLookups,
): Prisma.IssueWhereInput {
  if (!filter) return {};
  const and: Prisma.IssueWhereInput[] = [];
  if (filter.status?.length) and.push({ status: { in: filter.status } });
  if (filter.severityLevel?.length) and.push({ severityLevel: { in: filter.severityLevel } });
  if (filter.issueOwnerId) and.push({ issueOwnerId: filter.issueOwnerId });
  if (filter.dueAfter) and.push({ dueDate: { gte: filter.dueAfter } });
  if (filter.dueBefore) and.push({ dueDate: { lte: filter.dueBefore } });
  if (filter.search) {
    and.push({
      OR: ['title', 'description'].map((column) =>
        literalContains('Issue', column, filter.search as string, provider, lookups, 'filter.search'),
      ),
    });
  }
  return { AND: and };
}
