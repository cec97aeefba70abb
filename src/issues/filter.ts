import type { Config } from '../config.ts';
import type { Prisma } from '../db/types.ts';
import type { IssueFilter } from './input.ts';

/** The Prisma condition of a parsed filter; every condition must hold, each on an indexed column. */
export function whereOf(filter: IssueFilter, provider: Config['provider']): Prisma.IssueWhereInput {
  if (!filter) return {};
  const and: Prisma.IssueWhereInput[] = [];
  if (filter.status?.length) and.push({ status: { in: filter.status } });
  if (filter.severityLevel?.length) and.push({ severityLevel: { in: filter.severityLevel } });
  if (filter.issueOwnerId) and.push({ issueOwnerId: filter.issueOwnerId });
  if (filter.dueAfter) and.push({ dueDate: { gte: filter.dueAfter } });
  if (filter.dueBefore) and.push({ dueDate: { lte: filter.dueBefore } });
  if (filter.search) {
    // SQLite's LIKE is already case-insensitive (ASCII); PostgreSQL needs ILIKE.
    const contains =
      provider === 'postgresql'
        ? { contains: filter.search, mode: 'insensitive' as const }
        : { contains: filter.search };
    and.push({ OR: [{ title: contains }, { description: contains }] } as Prisma.IssueWhereInput);
  }
  return { AND: and };
}
