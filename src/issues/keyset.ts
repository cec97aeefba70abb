import type { Prisma } from '../db/types.ts';
import { BadUserInputError } from '../errors.ts';

export interface Cursor {
  /** The order field the cursor was made for; a cursor from another ordering is refused. */
  o: string;
  /** The order column's value (ISO date or number), null for a null due date. */
  v: string | number | null;
  id: number;
}

export function encodeCursor(order: string, value: unknown, id: number): string {
  const v = value instanceof Date ? value.toISOString() : (value as number | null);
  return Buffer.from(JSON.stringify({ o: order, v, id } satisfies Cursor)).toString('base64url');
}

export function decodeCursor(text: string, order: string, field: string): Cursor {
  let cursor: Cursor | undefined;
  try {
    if (text.length <= 200) cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
  } catch {
    // falls through to the error below
  }
  const valid =
    cursor &&
    typeof cursor === 'object' &&
    cursor.o === order &&
    Number.isSafeInteger(cursor.id) &&
    (cursor.v === null ||
      typeof cursor.v === 'number' ||
      (typeof cursor.v === 'string' && !Number.isNaN(Date.parse(cursor.v))));
  if (!valid || !cursor) throw new BadUserInputError(`${field}: not a cursor of this list and ordering`, field);
  return cursor;
}

export interface ScanPart {
  where: Prisma.IssueWhereInput;
  orderBy: Prisma.IssueOrderByWithRelationInput[];
}

/**
 * The rows after (forward) or before (backward) the cursor, as a sequence
 * of queries that are each a plain range of an index on (column, id): the
 * rest of the cursor's own value (by id), then the values beyond it, then
 * the nulls, which come last in the order. A single query with an OR
 * across these would make the database scan from the start of the column's
 * value (slow on a column with few values, like severity).
 */
export function scanParts(
  column: string,
  nullable: boolean,
  desc: boolean,
  forward: boolean,
  cursor: Cursor | null,
): ScanPart[] {
  const scanDesc = desc !== !forward;
  const dir = (d: boolean) => (d ? ('desc' as const) : ('asc' as const));
  if (column === 'id') {
    return [
      {
        where: cursor ? { id: scanDesc ? { lt: cursor.id } : { gt: cursor.id } } : {},
        orderBy: [{ id: dir(scanDesc) }],
      },
    ];
  }
  // Ties on the column are broken by id ascending; scanning backwards reverses it.
  const byId = [{ id: dir(!forward) }];
  const byColumn = [{ [column]: dir(scanDesc) }, { id: dir(!forward) }];
  const nonNull: ScanPart = { where: nullable ? { [column]: { not: null } } : {}, orderBy: byColumn };
  const nulls: ScanPart = { where: { [column]: null }, orderBy: byId };
  const idBeyond = (id: number) => ({ id: forward ? { gt: id } : { lt: id } });

  if (!cursor) {
    if (!nullable) return [nonNull];
    return forward ? [nonNull, nulls] : [nulls, nonNull];
  }
  if (cursor.v === null) {
    const restOfNulls = { where: { [column]: null, ...idBeyond(cursor.id) }, orderBy: byId };
    return forward ? [restOfNulls] : [restOfNulls, nonNull];
  }
  const value = typeof cursor.v === 'string' ? new Date(cursor.v) : cursor.v;
  const sameValue = { where: { [column]: value, ...idBeyond(cursor.id) }, orderBy: byId };
  const beyond = { where: { [column]: scanDesc ? { lt: value } : { gt: value } }, orderBy: byColumn };
  return forward && nullable ? [sameValue, beyond, nulls] : [sameValue, beyond];
}
