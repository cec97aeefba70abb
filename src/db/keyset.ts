import { BadUserInputError } from '../errors.ts';

/**
 * The keyset (cursor) engine every Relay connection pages with: issues,
 * service accounts, users, audit events. A cursor holds the order value
 * and id of an edge, and the next page starts with a range condition on
 * the (order column, id) index, so the thousandth page costs what the first
 * does. Ordering is the chosen column (nulls last in either direction),
 * then id ascending as tie-breaker (reversed when scanning backwards).
 */

/** What an order column holds, and so what a cursor's value must be. */
export type KeyKind = 'integer' | 'date' | 'text';

/** One ordering of one list. */
export interface Ordering {
  /** Names the list and ordering in the cursor (`CREATED_AT:DESC`); a cursor made for another is refused. */
  key: string;
  /** The Prisma field ordered by; `id` orders by id alone. */
  column: string;
  kind: KeyKind;
  nullable: boolean;
  desc: boolean;
  /** Longest value a text column holds (bounds the cursor's length). */
  maxLength?: number;
  /**
   * How often rows share a value, which decides how a page past a cursor is read (unset: the
   * rest of the cursor's value, the values beyond it and the nulls are asked at once):
   * - `few`: values are all but unique (the times rows were written), so one range from the
   *   cursor's value on, less that value's rows up to the cursor's id, which are the only rows
   *   the index reads and drops (a batch written at one instant: 500 issues at most);
   * - `many`: a handful of values, each shared by many rows (severity), so the rest of the
   *   cursor's value all but always fills the page and is read alone first.
   */
  ties?: 'few' | 'many';
}

/** The type of a list's id: autoincrement integers, or UUIDs (users). */
export type IdKind = 'integer' | 'uuid';

export interface Cursor {
  /** The ordering's key; a cursor from another ordering is refused. */
  o: string;
  /** The order column's value (ISO date, number or text), null for a null value. */
  v: string | number | null;
  id: number | string;
}

export function encodeCursor(key: string, value: unknown, id: number | string): string {
  const v = value instanceof Date ? value.toISOString() : (value as number | string | null);
  return Buffer.from(JSON.stringify({ o: key, v, id } satisfies Cursor)).toString('base64url');
}

const int32 = (value: unknown) => Number.isSafeInteger(value) && Math.abs(value as number) <= 2_147_483_647;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function fitsId(id: unknown, kind: IdKind): boolean {
  if (kind === 'uuid') return typeof id === 'string' && uuid.test(id);
  return int32(id) && (id as number) > 0;
}

/** Whether a cursor's value is of the type its ordering's column holds (a crafted one may not be). */
function fitsOrdering(value: unknown, ordering: Ordering): boolean {
  if (value === null) return ordering.nullable;
  if (ordering.kind === 'integer') return int32(value);
  if (ordering.kind === 'text') return typeof value === 'string' && value.length <= (ordering.maxLength ?? 200);
  if (typeof value !== 'string' || value.length > 40) return false;
  const time = Date.parse(value);
  return Number.isFinite(time) && new Date(time).getUTCFullYear() >= 1 && new Date(time).getUTCFullYear() <= 9999;
}

/** Longest cursor text an ordering can make: JSON of the value (at most 6 bytes a character), in base64. */
function maxCursorLength(ordering: Ordering): number {
  return ordering.kind === 'text' ? 200 + Math.ceil(((ordering.maxLength ?? 200) * 6 * 4) / 3) : 200;
}

export function decodeCursor(text: string, ordering: Ordering, idKind: IdKind, field: string): Cursor {
  let cursor: Cursor | undefined;
  try {
    if (text.length <= maxCursorLength(ordering)) {
      cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    }
  } catch {
    // falls through to the error below
  }
  const valid =
    cursor !== null &&
    typeof cursor === 'object' &&
    cursor.o === ordering.key &&
    fitsId(cursor.id, idKind) &&
    (ordering.column === 'id' ? fitsId(cursor.v, idKind) : fitsOrdering(cursor.v, ordering));
  if (!valid || !cursor) throw new BadUserInputError(`${field}: not a cursor of this list and ordering`, field);
  return cursor;
}

/** A Prisma `where` and `orderBy` of one model, as plain objects (each caller's model types them). */
export interface ScanPart {
  where: Record<string, unknown>;
  orderBy: Record<string, 'asc' | 'desc'>[];
  /**
   * Read by itself first, the parts after it only when it leaves the page short (the rest of a
   * cursor's value that many rows share). Other parts are asked all at once: a page that starts
   * near the end of one range needs the next, and waiting for each would cost it a round trip.
   */
  alone?: boolean;
}

/**
 * The rows after (forward) or before (backward) the cursor, as a sequence
 * of queries that are each a plain range of an index on (column, id): the
 * rest of the cursor's own value (by id), then the values beyond it, then
 * the nulls, which come last in the order. A single query with an OR
 * across these would make the database scan from the start of the column's
 * value (slow on a column with few values, like severity).
 */
export function scanParts(ordering: Ordering, forward: boolean, cursor: Cursor | null): ScanPart[] {
  const { column, nullable, desc } = ordering;
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
  const idBeyond = (id: number | string) => ({ id: forward ? { gt: id } : { lt: id } });

  if (!cursor) {
    if (!nullable) return [nonNull];
    return forward ? [nonNull, nulls] : [nulls, nonNull];
  }
  if (cursor.v === null) {
    const restOfNulls = { where: { [column]: null, ...idBeyond(cursor.id) }, orderBy: byId };
    return forward ? [restOfNulls] : [restOfNulls, nonNull];
  }
  const value = ordering.kind === 'date' ? new Date(cursor.v as string) : cursor.v;
  if (ordering.ties === 'few') {
    const fromValue = {
      where: {
        [column]: scanDesc ? { lte: value } : { gte: value },
        NOT: { [column]: value, id: forward ? { lte: cursor.id } : { gte: cursor.id } },
      },
      orderBy: byColumn,
    };
    return forward && nullable ? [fromValue, nulls] : [fromValue];
  }
  const sameValue = {
    where: { [column]: value, ...idBeyond(cursor.id) },
    orderBy: byId,
    alone: ordering.ties === 'many',
  };
  const beyond = { where: { [column]: scanDesc ? { lt: value } : { gt: value } }, orderBy: byColumn };
  return forward && nullable ? [sameValue, beyond, nulls] : [sameValue, beyond];
}

/** The paging arguments of a connection; `last`/`before` only where the list pages backwards. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** A page size when none is given, and the largest one a caller may ask for. */
export interface PageLimits {
  defaultSize: number;
  maxSize: number;
}

/** The page limits of the administration lists (service accounts, users, audit events). */
export const adminPageLimits: PageLimits = { defaultSize: 50, maxSize: 500 };

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  /** Counts every row the filter matches; only called when asked for. */
  totalCount: () => Promise<number>;
}

/**
 * An edge whose cursor is encoded only when read (most clients select `node` and `pageInfo`,
 * not every edge's `cursor`). A class: its getter is on the prototype, so an edge is one small
 * object, not an object and a closure per row.
 */
class LazyEdge<T> {
  readonly #key: string;
  readonly #value: unknown;
  readonly #id: number | string;

  constructor(
    readonly node: T,
    key: string,
    value: unknown,
    id: number | string,
  ) {
    this.#key = key;
    this.#value = value;
    this.#id = id;
  }

  get cursor(): string {
    return encodeCursor(this.#key, this.#value, this.#id);
  }
}

/** An edge of `node`, its cursor encoded from the ordering's key and value and the id when read. */
export function edgeOf<T>(node: T, key: string, value: unknown, id: number | string): { cursor: string; node: T } {
  return new LazyEdge(node, key, value, id);
}

/** A page's start and end cursors. */
export function endCursors(edges: { cursor: string }[]): Pick<PageInfo, 'startCursor' | 'endCursor'> {
  return { startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null };
}

/** Checks `first`/`last` against the limits; answers the page size and direction. */
export function pageSize(args: PageArgs, limits: PageLimits): { size: number; forward: boolean } {
  const { first, last } = args;
  if (first != null && last != null) throw new BadUserInputError('first and last cannot be used together', 'last');
  for (const [name, value] of [
    ['first', first],
    ['last', last],
  ] as const) {
    if (value != null && (!Number.isInteger(value) || value < 0 || value > limits.maxSize)) {
      throw new BadUserInputError(`${name}: must be an integer from 0 to ${limits.maxSize}`, name);
    }
  }
  const forward = last == null;
  return { size: (forward ? first : last) ?? limits.defaultSize, forward };
}

/**
 * Reads one page of a list: `read` runs one scan part (the caller adds its
 * filter and selection), at most `take` rows. Bad `first`/`last` or a
 * cursor of another ordering answer BAD_USER_INPUT before any read.
 */
export async function keysetPage<T extends object>(
  args: PageArgs,
  spec: {
    ordering: Ordering;
    idKind: IdKind;
    limits: PageLimits;
    read: (part: ScanPart, take: number) => Promise<T[]>;
    count: () => Promise<number>;
    /** Runs once the arguments are checked, before any read (the filter's look-ups). */
    prepare?: () => Promise<void>;
  },
): Promise<Page<T>> {
  const { size, forward } = pageSize(args, spec.limits);
  const cursorText = forward ? args.after : args.before;
  const cursor = cursorText ? decodeCursor(cursorText, spec.ordering, spec.idKind, forward ? 'after' : 'before') : null;
  await spec.prepare?.();
  return readPage(spec.ordering, size, forward, cursor, spec.read, spec.count);
}

/** Reads the parts in scan order until `take` rows are found; a later part only fills what is left. */
async function readParts<T>(parts: ScanPart[], read: (part: ScanPart, take: number) => Promise<T[]>, take: number) {
  const rows: T[] = [];
  let start = 0;
  for (; start < parts.length && parts[start]?.alone && rows.length < take; start++) {
    rows.push(...(await read(parts[start] as ScanPart, take - rows.length)));
  }
  if (rows.length < take && start < parts.length) {
    const left = take - rows.length;
    for (const found of await Promise.all(parts.slice(start).map((part) => read(part, left)))) rows.push(...found);
  }
  return rows.slice(0, take);
}

/**
 * The page itself, once its arguments are checked (callers that must check
 * more, such as their filter, before reading call `pageSize` and
 * `decodeCursor` first).
 */
export async function readPage<T extends object>(
  ordering: Ordering,
  size: number,
  forward: boolean,
  cursor: Cursor | null,
  read: (part: ScanPart, take: number) => Promise<T[]>,
  count: () => Promise<number>,
): Promise<Page<T>> {
  const rows = await readParts(scanParts(ordering, forward, cursor), read, size + 1);
  const more = rows.length > size;
  const page = rows.slice(0, size);
  if (!forward) page.reverse();
  const edges = page.map((node) => {
    const row = node as Record<string, unknown>;
    return edgeOf(node, ordering.key, row[ordering.column], row.id as number | string);
  });
  return {
    edges,
    pageInfo: {
      hasNextPage: forward ? more : cursor !== null,
      hasPreviousPage: forward ? cursor !== null : more,
      ...endCursors(edges),
    },
    totalCount: count,
  };
}
