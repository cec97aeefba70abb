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

/** The value type of each ordering's column: a cursor must hold a value of that type. */
const valueKinds: Record<string, { kind: 'integer' | 'date'; nullable: boolean }> = {
  ID: { kind: 'integer', nullable: false },
  SEVERITY: { kind: 'integer', nullable: false },
  CREATED_AT: { kind: 'date', nullable: false },
  UPDATED_AT: { kind: 'date', nullable: false },
  DUE_DATE: { kind: 'date', nullable: true },
};

const isRowId = (id: unknown): id is number =>
  Number.isSafeInteger(id) && (id as number) > 0 && (id as number) <= 2_147_483_647;

/** Whether a cursor's value is of the type its ordering's column holds (a crafted one may not be). */
function fitsOrdering(value: unknown, orderField: string): boolean {
  const expected = valueKinds[orderField];
  if (!expected) return false;
  if (value === null) return expected.nullable;
  if (expected.kind === 'integer') return Number.isSafeInteger(value) && Math.abs(value as number) <= 2_147_483_647;
  if (typeof value !== 'string' || value.length > 40) return false;
  const time = Date.parse(value);
  return Number.isFinite(time) && new Date(time).getUTCFullYear() >= 1 && new Date(time).getUTCFullYear() <= 9999;
}

export function decodeCursor(text: string, order: string, field: string): Cursor {
  let cursor: Cursor | undefined;
  try {
    if (text.length <= 200) cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
  } catch {
    // falls through to the error below
  }
  const valid =
    cursor !== null &&
    typeof cursor === 'object' &&
    cursor.o === order &&
    isRowId(cursor.id) &&
    fitsOrdering(cursor.v, order.split(':')[0] ?? '');
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
