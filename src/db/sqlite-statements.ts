import type { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import type { Database, Statement } from 'better-sqlite3';

/** How many distinct SQL texts keep their prepared statement. @default 256 */
export const statementCacheSize = 256;

type Args = unknown[];

/**
 * What Prisma's better-sqlite3 adapter calls on a prepared statement (7.x: `prepare(sql)`, then
 * `bind(args)` and `reader`, `columns()` then `raw().all()`, or `run()`), answered from a
 * statement prepared once per SQL text. better-sqlite3 binds a statement for good, so the
 * arguments are passed to each call instead.
 *
 * A statement prepared before the table changed (a migration) is prepared again by SQLite when it
 * next runs, and only then do its columns change: so `columns()` runs the query first and answers
 * the columns it ran with; `raw().all()` then hands over those rows.
 */
function facade(statement: Statement, args: Args = []) {
  let rows: unknown[] | undefined;
  const read = () => statement.raw(true).all(...args);
  return {
    reader: statement.reader,
    columns: () => {
      rows = read();
      return statement.columns();
    },
    bind: (bound: Args) => facade(statement, bound),
    raw: () => ({
      all: () => {
        const ran = rows ?? read();
        rows = undefined;
        return ran;
      },
    }),
    run: () => statement.run(...args),
  };
}

function cachePrepare(client: Database, size: number): void {
  const prepare = client.prepare.bind(client);
  const cache = new Map<string, ReturnType<typeof facade>>();
  (client as { prepare: unknown }).prepare = (sql: string) => {
    let entry = cache.get(sql);
    if (entry) {
      // Least recently used first: a hit moves to the end.
      cache.delete(sql);
    } else {
      entry = facade(prepare(sql));
      if (cache.size >= size) cache.delete(cache.keys().next().value as string);
    }
    cache.set(sql, entry);
    return entry;
  };
}

/**
 * Prisma's better-sqlite3 adapter prepares every statement again (SQLite compiles its SQL each
 * time: 3.5 % of the CPU of an issues page). This keeps the last `size` statements prepared on
 * the adapter's connection. Safe because the adapter runs each statement to completion
 * synchronously (`all`/`run`, never `iterate`), and SQLite re-prepares a statement whose schema
 * changed (a migration) by itself.
 */
export function withStatementCache(factory: PrismaBetterSqlite3, size = statementCacheSize): PrismaBetterSqlite3 {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    cachePrepare((adapter as unknown as { client: Database }).client, size);
    return adapter;
  };
  return factory;
}
