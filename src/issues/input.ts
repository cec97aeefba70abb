import { z } from 'zod';
import { IssueSeverity, IssueStatus } from '../db/types.ts';
import { BadUserInputError } from '../errors.ts';
import { string } from '../validation.ts';

/** Largest page a caller may ask for (GraphQL `first`/`last`, REST `take`). */
export const maxPageSize = 500;
/** Page size when the caller gives none. */
export const defaultPageSize = 50;

const date = z.coerce
  .date({ error: 'must be a date-time' })
  .refine((d) => d.getUTCFullYear() >= 1900 && d.getUTCFullYear() <= 9999, 'must be between the years 1900 and 9999');

export const issueFilter = z
  .object({
    status: z.array(z.enum(IssueStatus)).max(10).nullish(),
    severityLevel: z.array(z.enum(IssueSeverity)).max(10).nullish(),
    issueOwnerId: z.string().trim().uuid('must be a user id').nullish(),
    dueAfter: date.nullish(),
    dueBefore: date.nullish(),
    search: string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').nullish(),
  })
  .nullish();

export type IssueFilter = z.output<typeof issueFilter>;

const title = string().trim().min(1, 'must not be empty').max(300, 'must be at most 300 characters');
const description = string().max(20_000, 'must be at most 20000 characters');

export const createInput = z.object({
  title,
  description: description.nullish(),
  severityLevel: z.enum(IssueSeverity).nullish(),
  status: z.enum(IssueStatus).nullish(),
  dueDate: date.nullish(),
  issueOwnerId: z.string().trim().uuid('must be a user id').nullish(),
});

export const updateInput = createInput.partial().extend({ dateCompleted: date.nullish() });

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
});
