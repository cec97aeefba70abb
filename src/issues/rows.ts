import type { Statement } from 'better-sqlite3';
import { type Db, driverOf } from '../db/client.ts';
import { type Decoder, decoderOf, modelFields } from '../db/raw-values.ts';
import type { Issue } from '../db/types.ts';

/** The issues of one RegScale parent record. */
export interface IssueRowFilter {
  parentId: number;
  parentModule: string;
}

/** What a row's values are: the column at each index, and how its value is decoded. */
export interface IssueRowFormat {
  /** Every scalar column of Issue, in the model's order. */
  readonly columns: readonly (keyof Issue)[];
  /** For each column, its driver value decoded to the JSON value of Prisma's value. */
  readonly decoders: readonly Decoder[];
}

/** Issues as the driver hands them over: one array of values a row, in `format.columns` order. */
export interface IssueRowBatch {
  readonly rows: readonly (readonly unknown[])[];
  readonly format: IssueRowFormat;
  /** The id of the last row (0 when there is none): where the next batch starts. */
  readonly lastId: number;
}

export interface IssueRows extends IssueRowFormat {
  /**
   * Whether reading the next batch while one is written gains time: PostgreSQL works in a
   * process of its own; better-sqlite3 reads synchronously on ours.
   */
  readonly readAhead: boolean;
  /** Up to `limit` issues with an id above `after`, in id order, of `filter`'s parent if given. */
  read(after: number, limit: number, filter?: IssueRowFilter): Promise<IssueRowBatch>;
}

const readers = new WeakMap<Db, IssueRows>();

/**
 * Issue rows read with the driver itself, past Prisma's adapter and result mapping, which
 * copy each of the 91 columns of every row several times (the getAll streams' memory and
 * time, bench/README.md). On SQLite a read-only connection of its own and statements
 * prepared once; on PostgreSQL the client's pool. Errors are the driver's own, which
 * `toAppError` reads as it reads Prisma's (their codes: src/db/errors.ts).
 */
export function issueRows(db: Db): IssueRows {
  let rows = readers.get(db);
  if (!rows) {
    rows = makeIssueRows(db);
    readers.set(db, rows);
  }
  return rows;
}

function makeIssueRows(db: Db): IssueRows {
  const driver = driverOf(db);
  const fields = modelFields(db, 'Issue');
  for (const { name } of fields) if (!/^\w+$/.test(name)) throw new TypeError(`issueRows: column name ${name}`);
  const columns = fields.map((f) => f.name as keyof Issue);
  const decoders = fields.map((f) => decoderOf(driver.provider, f));
  const idIndex = columns.indexOf('id');
  const decodeId = decoders[idIndex] as Decoder;
  const format: IssueRowFormat = { columns, decoders };
  const batch = (rows: unknown[][]): IssueRowBatch => {
    const last = rows.at(-1);
    return { rows, format, lastId: last ? (decodeId(last[idIndex]) as number) : 0 };
  };

  // Placeholders numbered in the order they appear, as SQLite's `?` counts them.
  const select = `SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM "Issue" WHERE`;
  const sql = (place: (n: number) => string) => ({
    all: `${select} "id" > ${place(1)} ORDER BY "id" LIMIT ${place(2)}`,
    parent: `${select} "parentId" = ${place(1)} AND "parentModule" = ${place(2)} AND "id" > ${place(3)} ORDER BY "id" LIMIT ${place(4)}`,
  });
  const values = (after: number, limit: number, filter?: IssueRowFilter) =>
    filter ? [filter.parentId, filter.parentModule, after, limit] : [after, limit];

  if (driver.provider === 'sqlite') {
    const text = sql(() => '?');
    // Per connection: the client's is opened again after a $disconnect.
    const prepared = new WeakMap<object, { all: Statement; parent: Statement }>();
    const statements = () => {
      const connection = driver.connection();
      let these = prepared.get(connection);
      if (!these) {
        these = { all: connection.prepare(text.all).raw(true), parent: connection.prepare(text.parent).raw(true) };
        prepared.set(connection, these);
      }
      return these;
    };
    return {
      ...format,
      readAhead: false,
      async read(after, limit, filter) {
        const { all, parent } = statements();
        return batch((filter ? parent : all).all(...values(after, limit, filter)) as unknown[][]);
      },
    };
  }

  const text = sql((n) => `$${n}`);
  // Every value as PostgreSQL's text: the decoders read that (as Prisma's adapter reads dates).
  const types = { getTypeParser: () => (value: string) => value };
  return {
    ...format,
    readAhead: true,
    async read(after, limit, filter) {
      const { rows } = await driver.pool.query({
        // Named: parsed and planned once per connection, not once per batch.
        name: filter ? 'issue_rows_parent' : 'issue_rows',
        text: filter ? text.parent : text.all,
        values: values(after, limit, filter),
        rowMode: 'array',
        types,
      });
      return batch(rows as unknown[][]);
    },
  };
}
