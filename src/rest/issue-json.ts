import type { JsonScalar } from '../db/raw-values.ts';
import type { Issue } from '../db/types.ts';
import type { FieldValue } from '../issues/input.ts';
import { type RegscaleField, regscaleFieldNames } from '../issues/regscale-fields.ts';
import { severityLabel, statusLabel } from '../issues/regscale-values.ts';
import type { IssueRowFormat } from '../issues/rows.ts';

/** Our core fields under RegScale's names, each with the column it is read from. */
const coreFields = {
  id: 'id',
  uuid: 'uuid',
  title: 'title',
  description: 'description',
  severityLevel: 'severityLevel',
  status: 'status',
  dueDate: 'dueDate',
  dateCompleted: 'dateCompleted',
  issueOwnerId: 'issueOwnerId',
  createdById: 'createdById',
  lastUpdatedById: 'lastUpdatedById',
  dateCreated: 'createdAt',
  dateLastUpdated: 'updatedAt',
} as const satisfies Record<string, keyof Issue>;

/** The columns whose values RegScale spells its own way (`status: "Open"`). */
const labels = {
  severityLevel: severityLabel,
  status: statusLabel,
} satisfies Partial<Record<keyof Issue, Record<string, string>>>;
const labelsOf: Partial<Record<keyof Issue, Record<string, string>>> = labels;

/**
 * Every field of the JSON, in its order: its name, its column, and its column's labels. The
 * one description of the shape, from which both {@link issueJson} (from a Prisma row) and
 * {@link issueJsonWriter} (from a driver's row, for the streams) are made.
 */
const jsonFields = [...Object.entries(coreFields), ...regscaleFieldNames.map((name) => [name, name] as const)].map(
  ([name, column]) => ({ name, column: column as keyof Issue, labels: labelsOf[column as keyof Issue] }),
);

type Json<T> = T extends Date ? string : T;
type CoreJson = {
  [K in keyof typeof coreFields]: (typeof coreFields)[K] extends keyof typeof labels
    ? string
    : Json<Issue[(typeof coreFields)[K]]>;
};
type RegscaleJson = { [K in RegscaleField]: FieldValue<K> extends Date ? string | null : FieldValue<K> | null };

/** An issue as the REST API answers it; the OpenAPI schema is checked against this type. */
export type IssueJson = CoreJson & RegscaleJson;

/**
 * An issue as RegScale's REST API spells it: RegScale's names and values
 * (`status: "Open"`, `severityLevel: "I - High - Significant Deficiency"`),
 * every field present, null where there is no value.
 */
export function issueJson(issue: Issue): IssueJson {
  // A loop, not Object.fromEntries: this runs for every row of a page.
  const json: Record<string, unknown> = {};
  for (const { name, column, labels } of jsonFields) {
    const value = issue[column];
    json[name] = labels ? labels[value as string] : value instanceof Date ? value.toISOString() : (value ?? null);
  }
  return json as IssueJson;
}

/**
 * Writes `JSON.stringify(issueJson(issue))` straight from a driver's row (`src/issues/rows.ts`),
 * with no Issue object and no JSON object in between: the same fields in the same order, each
 * value decoded by its column's decoder to what `issueJson` makes of Prisma's value.
 */
export function issueJsonWriter({ columns, decoders }: IssueRowFormat): (row: readonly unknown[]) => string {
  const parts = jsonFields.map(({ name, column, labels }, k) => {
    const index = columns.indexOf(column);
    const decode = decoders[index];
    if (!decode) throw new TypeError(`issueJsonWriter: the rows have no column ${column}`);
    const label = labels && new Map(Object.entries(labels).map(([value, text]) => [value, JSON.stringify(text)]));
    const write = label
      ? (value: unknown) => {
          const text = label.get(decode(value) as string);
          // issueJson would leave the field out: a value the schema's enum does not have.
          if (text === undefined) throw new Error(`issueJsonWriter: ${column} ${String(value)} has no label`);
          return text;
        }
      : (value: unknown) => JSON.stringify(decode(value) satisfies JsonScalar);
    return { prefix: `${k === 0 ? '{' : ','}${JSON.stringify(name)}:`, index, write };
  });
  return (row) => {
    let text = '';
    for (const { prefix, index, write } of parts) text += prefix + write(row[index]);
    return `${text}}`;
  };
}
