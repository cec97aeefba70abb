import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { Prisma } from '../db/types.ts';
import { BadUserInputError } from '../errors.ts';

/** Rows a SQLite text search with `%` or `_` may match; beyond, the caller is asked to narrow it. */
const maxLiteralMatches = 10_000;

/** Look-ups a condition needs before it can run (SQLite only), filled in by `resolveLiteral`. */
export type LiteralLookups = { column: string; value: string; ids: number[]; field: string }[];

/**
 * Rows whose `column` contains `value` literally, ignoring case: `%`, `_`
 * and `\` in a search are characters, not wildcards. Prisma's `contains`
 * hands the value to LIKE as it is on both providers. PostgreSQL's LIKE
 * takes `\` as its escape, so they are escaped. SQLite's LIKE has no escape
 * unless the statement names one, which Prisma's does not: a search holding
 * them is looked up with `instr` first (`resolveLiteral`), and the condition
 * is that id list. `column` is always one of ours, never the caller's text.
 */
export function literalContains(
  column: string,
  value: string,
  provider: Config['provider'],
  lookups: LiteralLookups,
  field: string,
): Prisma.IssueWhereInput {
  if (provider === 'postgresql') {
    return { [column]: { contains: value.replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' } };
  }
  // SQLite's LIKE ignores ASCII case, as `lower` does in the look-up.
  if (!/[%_]/.test(value)) return { [column]: { contains: value } };
  const ids: number[] = [];
  lookups.push({ column, value, ids, field });
  return { id: { in: ids } };
}

/** Runs the look-ups `literalContains` asked for, filling in their id lists. */
export async function resolveLiteral(db: Db, lookups: LiteralLookups): Promise<void> {
  for (const lookup of lookups) {
    const rows = await db.$queryRawUnsafe<{ id: number | bigint }[]>(
      `SELECT id FROM "Issue" WHERE instr(lower("${lookup.column}"), lower(?)) > 0 LIMIT ${maxLiteralMatches + 1}`,
      lookup.value,
    );
    if (rows.length > maxLiteralMatches) {
      throw new BadUserInputError(
        `${lookup.field}: more than ${maxLiteralMatches} issues match a search holding % or _; narrow it`,
        lookup.field,
      );
    }
    lookup.ids.push(...rows.map((r) => Number(r.id)));
  }
}
