import { z } from 'zod';
import { BadUserInputError } from '../errors.ts';
import { string } from '../validation.ts';
import { maxFieldLength, type RegscaleField, regscaleFields } from './regscale-fields.ts';
import { parseSeverity, parseStatus, severityLabel, statusLabel } from './regscale-values.ts';

/** Largest page a caller may ask for (GraphQL `first`/`last`, REST `take`). */
export const maxPageSize = 500;
/** Page size when the caller gives none. */
export const defaultPageSize = 50;

/**
 * A date-time: a Date (GraphQL's DateTime) or an ISO 8601 string. One
 * without an offset (`2026-01-31T12:00:00`, as RegScale's client writes
 * them) is read as UTC, never as the server's local time.
 */
const date = z
  .preprocess(
    (v) =>
      typeof v === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+)?$/.test(v.trim())
        ? `${v.trim().replace(/T$/, '')}${v.includes('T') ? 'Z' : 'T00:00:00Z'}`
        : v,
    z.coerce.date({ error: 'must be a date-time' }),
  )
  .refine((d) => d.getUTCFullYear() >= 1900 && d.getUTCFullYear() <= 9999, 'must be between the years 1900 and 9999');

/** An empty string, as RegScale's client sends for "none" (`dueDate: ""`), is null. */
const emptyIsNull = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? null : v), schema.nullish());

/** A severity in any accepted spelling (enum name, RegScale label, RegScale's short word). */
export const severity = z.string({ error: 'must be a severity' }).transform((text, ctx) => {
  const value = parseSeverity(text);
  if (!value) {
    ctx.addIssue({
      code: 'custom',
      message: `must be one of ${Object.values(severityLabel).join(', ')} (or Low, Medium, High, Critical)`,
    });
    return z.NEVER;
  }
  return value;
});

/** A status as its enum name or RegScale's label. */
export const status = z.string({ error: 'must be a status' }).transform((text, ctx) => {
  const value = parseStatus(text);
  if (!value) {
    ctx.addIssue({ code: 'custom', message: `must be one of ${Object.values(statusLabel).join(', ')}` });
    return z.NEVER;
  }
  return value;
});

const int32 = z
  .number({ error: 'must be an integer' })
  .int('must be an integer')
  .min(-2_147_483_648, 'is too small')
  .max(2_147_483_647, 'is too large');

interface KindValue {
  int: number;
  string: string;
  date: Date;
  boolean: boolean;
}
/** The value a RegScale field holds. */
export type FieldValue<K extends RegscaleField> = KindValue[(typeof regscaleFields)[K]];

function fieldSchema(name: RegscaleField) {
  switch (regscaleFields[name]) {
    case 'int':
      return int32.nullish();
    case 'boolean':
      return z.boolean({ error: 'must be true or false' }).nullish();
    case 'date':
      return emptyIsNull(date);
    case 'string': {
      const max = maxFieldLength[name] ?? maxFieldLength.default;
      return string().max(max, `must be at most ${max} characters`).nullish();
    }
  }
}

/** RegScale's further fields, each optional; unknown keys are ignored (RegScale's client sends many). */
const regscaleShape = Object.fromEntries(
  (Object.keys(regscaleFields) as RegscaleField[]).map((name) => [name, fieldSchema(name)]),
) as unknown as { [K in RegscaleField]: z.ZodType<FieldValue<K> | null | undefined> };

export const issueFilter = z
  .object({
    status: z.array(status).max(20).nullish(),
    severityLevel: z.array(severity).max(10).nullish(),
    issueOwnerId: z.string().trim().uuid('must be a user id').nullish(),
    dueAfter: date.nullish(),
    dueBefore: date.nullish(),
    search: string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').nullish(),
  })
  .nullish();

export type IssueFilter = z.output<typeof issueFilter>;

const title = string().trim().min(1, 'must not be empty').max(300, 'must be at most 300 characters');
const description = string().max(20_000, 'must be at most 20000 characters');

const ownerId = emptyIsNull(z.string().trim().uuid('must be a user id'));

/**
 * A new issue, from GraphQL or REST. Who created it and when are the
 * server's: the `id`, `uuid`, `createdById`, `dateCreated`, … a client sends
 * are ignored.
 */
export const createInput = z.object({
  title,
  description: description.nullish(),
  severityLevel: severity.nullish(),
  status: status.nullish(),
  dueDate: emptyIsNull(date),
  dateCompleted: emptyIsNull(date),
  issueOwnerId: ownerId,
  ...regscaleShape,
});

export const updateInput = createInput.partial();

export type CreateInput = z.output<typeof createInput>;

/** Parses an issue id given as GraphQL `ID` or a REST path segment. */
export function parseIssueId(value: unknown, field = 'id'): number {
  const text = String(value ?? '').trim();
  const id = /^[1-9]\d{0,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id) || id > 2_147_483_647) {
    throw new BadUserInputError(`${field}: must be a positive integer issue id`, field);
  }
  return id;
}

/** A whole number written in decimal digits (query strings are text: no `0x10`, `1e3` or `1.0`). */
const wholeNumber = z
  .union([z.number(), z.string().regex(/^\d{1,10}$/, 'must be a whole number')], { error: 'must be a whole number' })
  .transform(Number)
  .pipe(z.number().int('must be a whole number'));

export const pageParams = z.object({
  skip: wholeNumber.pipe(z.number().min(0, 'must be 0 or more').max(1e9, 'is too large')),
  take: wholeNumber.pipe(z.number().min(1, 'must be at least 1').max(maxPageSize, `must be at most ${maxPageSize}`)),
  /** Keyset paging: the issues after this id (the last id of the page before). */
  after: wholeNumber.pipe(z.number().max(2_147_483_647, 'is too large')).optional(),
});

/** The path parameters of `getAllByParent/{parentId}/{module}`. */
export const parentParams = z.object({
  parentId: wholeNumber.pipe(z.number().max(2_147_483_647, 'is too large')),
  module: string()
    .trim()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must be a module name such as securityplans'),
});
