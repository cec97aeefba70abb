import type { Issue } from '../db/types.ts';
import type { FieldValue } from '../issues/input.ts';
import { type RegscaleField, regscaleFieldNames } from '../issues/regscale-fields.ts';
import { severityLabel, statusLabel } from '../issues/regscale-values.ts';

type RegscaleJson = { [K in RegscaleField]: FieldValue<K> extends Date ? string | null : FieldValue<K> | null };

/**
 * An issue as RegScale's REST API spells it: RegScale's names and values
 * (`status: "Open"`, `severityLevel: "I - High - Significant Deficiency"`),
 * every field present, null where there is no value.
 */
export function issueJson(issue: Issue) {
  const regscale = Object.fromEntries(
    regscaleFieldNames.map((name) => {
      const value = issue[name];
      return [name, value instanceof Date ? value.toISOString() : (value ?? null)];
    }),
  ) as RegscaleJson;
  return {
    id: issue.id,
    uuid: issue.uuid,
    title: issue.title,
    description: issue.description,
    severityLevel: severityLabel[issue.severityLevel],
    status: statusLabel[issue.status],
    dueDate: issue.dueDate?.toISOString() ?? null,
    dateCompleted: issue.dateCompleted?.toISOString() ?? null,
    issueOwnerId: issue.issueOwnerId,
    createdById: issue.createdById,
    lastUpdatedById: issue.lastUpdatedById,
    dateCreated: issue.createdAt.toISOString(),
    dateLastUpdated: issue.updatedAt.toISOString(),
    ...regscale,
  };
}

/** An issue as the REST API answers it; the OpenAPI schema is checked against this type. */
export type IssueJson = ReturnType<typeof issueJson>;
