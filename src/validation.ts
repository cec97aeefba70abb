import { z } from 'zod';
import { BadUserInputError } from './errors.ts';

/**
 * Parses input with a zod schema; the first problem becomes a
 * `BadUserInputError` naming the field (`input.purpose`, `userName`...).
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, prefix?: string): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [prefix, ...(issue?.path ?? [])].filter((p) => p !== undefined && p !== '').join('.');
  throw new BadUserInputError(`${path || 'input'}: ${issue?.message ?? 'invalid value'}`, path || undefined);
}

/**
 * A string input: missing is "is required", another type "must be a
 * string", and NUL characters are refused (PostgreSQL cannot store them,
 * and no text of ours needs them).
 */
export function string() {
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .refine((v) => !v.includes('\u0000'), 'must not contain NUL characters');
}
