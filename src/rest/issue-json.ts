import type { Issue } from '../db/types.ts';

/** An issue as RegScale's REST API spells it, which existing scripts read. */
export function issueJson(issue: Issue) {
  return {
    id: issue.id,
    uuid: issue.uuid,
    title: issue.title,
    description: issue.description,
    severityLevel: issue.severityLevel,
    status: issue.status,
    dueDate: issue.dueDate?.toISOString() ?? null,
    dateCompleted: issue.dateCompleted?.toISOString() ?? null,
    issueOwnerId: issue.issueOwnerId,
    createdById: issue.createdById,
    lastUpdatedById: issue.lastUpdatedById,
    dateCreated: issue.createdAt.toISOString(),
    dateLastUpdated: issue.updatedAt.toISOString(),
  };
}

/** An issue as the REST API answers it; the OpenAPI schema is checked against this type. */
export type IssueJson = ReturnType<typeof issueJson>;
