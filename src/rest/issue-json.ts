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
  // A loop, not Object.fromEntries: this runs for every row of a getAll stream.
  const regscale: Record<string, unknown> = {};
  for (const name of regscaleFieldNames) {
    const value = issue[name];
    regscale[name] = value instanceof Date ? value.toISOString() : (value ?? null);
  }
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
    ...(regscale as RegscaleJson),
  };
}

/** An issue as the REST API answers it; the OpenAPI schema is checked against this type. */
export type IssueJson = ReturnType<typeof issueJson>;
