import { BadUserInputError } from '../errors.ts';
import type { Db } from './client.ts';
import type { Provider } from './provider.ts';

/** Rows a SQLite text search with `%` or `_` may match; beyond, the caller is asked to narrow it. */
const maxLiteralMatches = 10_000;

/** The tables a literal search runs on, and what their rows are called in a refusal. */
const tables = { Issue: 'issues', ServiceAccount: 'service accounts', User: 'users' } as const;
export type LiteralTable = keyof typeof tables;

/** Look-ups a condition needs before it can run (SQLite only), filled in by `resolveLiteral`. */
export type LiteralLookups = {
  table: LiteralTable;
  column: string;
  value: string;
  ids: (number | string)[];
  field: string;
}[];

/**
 * Rows whose `column` contains `value` literally, ignoring case: `%`, `_`
 * and `\` in a search are characters, not wildcards. Prisma's `contains`
 * hands the value to LIKE as it is on both providers. PostgreSQL's LIKE
 * takes `\` as its escape, so they are escaped. SQLite's LIKE has no escape
 * unless the statement names one, which Prisma's does not: a search holding
 * them is looked up with `instr` first (`resolveLiteral`), and the condition
 * is that id list. `table` and `column` are always ours, never the caller's
 * text. The answer is a `where` of the table's model.
 */
export function literalContains(
  table: LiteralTable,
  column: string,
  value: string,
  provider: Provider,
  lookups: LiteralLookups,
  field: string,
): Record<string, unknown> {
  if (provider === 'postgresql') {
    return { [column]: { contains: value.replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' } };
  }
  // SQLite's LIKE ignores ASCII case, as `lower` does in the look-up.
  if (!/[%_]/.test(value)) return { [column]: { contains: value } };
  const ids: (number | string)[] = [];
  lookups.push({ table, column, value, ids, field });
  return { id: { in: ids } };
}

/** Runs the look-ups `literalContains` asked for, filling in their id lists. */
export async function resolveLiteral(db: Db, lookups: LiteralLookups): Promise<void> {
  for (const lookup of lookups) {
    const rows = await db.$queryRawUnsafe<{ id: number | bigint | string }[]>(
      `SELECT id FROM "${lookup.table}" WHERE instr(lower("${lookup.column}"), lower(?)) > 0 LIMIT ${maxLiteralMatches + 1}`,
      lookup.value,
    );
    if (rows.length > maxLiteralMatches) {
      throw new BadUserInputError(
        `${lookup.field}: more than ${maxLiteralMatches} ${tables[lookup.table]} match a search holding % or _; narrow it`,
        lookup.field,
      );
    }
    lookup.ids.push(...rows.map((r) => (typeof r.id === 'string' ? r.id : Number(r.id))));
  }
}

/**
 * Text that starts with `prefix`, literally. Prisma's `startsWith` sends
 * the prefix to LIKE as it is on both providers (tested: `_` and `%` act as
 * wildcards, so `service_account.` would match `serviceXaccount.`), and
 * SQLite's LIKE ignores case and has no escape character unless the
 * statement names one. So: on PostgreSQL the wildcards are escaped with
 * LIKE's default escape, `\`; on SQLite the prefix becomes a range of text,
 * compared bytewise (BINARY collation), case-sensitive as on PostgreSQL.
 */
export function literalPrefix(
  prefix: string,
  provider: Provider,
): { startsWith: string } | { gte: string; lt: string } {
  if (provider === 'postgresql') return { startsWith: prefix.replace(/[\\%_]/g, '\\$&') };
  return { gte: prefix, lt: `${prefix}\u{10FFFF}` };
}
