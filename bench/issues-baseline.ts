/**
 * The baseline for bench/issues.ts: the same reads with plain node:http and
 * the database driver, no framework, no authentication.
 *   GET /page  the first 50 issues as JSON
 *   GET /all   every issue as a JSON array, streamed in id batches
 * Env: DATABASE_URL (file: or postgresql:), PORT.
 */
import { createServer, type ServerResponse } from 'node:http';
import Database from 'better-sqlite3';
import pg from 'pg';

const url = process.env.DATABASE_URL ?? '';
const columns =
  'id, uuid, title, description, "severityLevel", status, "dueDate", "dateCompleted", "issueOwnerId", "createdById", "lastUpdatedById", "createdAt", "updatedAt"';

/** Runs a statement with `$1`-style placeholders on either driver. */
type Query = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

let query: Query;
if (url.startsWith('file:')) {
  const db = new Database(url.slice('file:'.length), { readonly: true });
  query = async (sql, params) => db.prepare(sql.replace(/\$\d+/g, '?')).all(...params) as Record<string, unknown>[];
} else {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  query = async (sql, params) => (await pool.query(sql, params)).rows;
}

async function streamAll(res: ServerResponse) {
  res.writeHead(200, { 'content-type': 'application/json' });
  let after = 0;
  let first = true;
  for (;;) {
    const rows = await query(`SELECT ${columns} FROM "Issue" WHERE id > $1 ORDER BY id LIMIT 1000`, [after]);
    let chunk = '';
    for (const row of rows) {
      chunk += (first ? '[' : ',') + JSON.stringify(row);
      first = false;
    }
    if (chunk && !res.write(chunk)) await new Promise((r) => res.once('drain', r));
    if (rows.length < 1000) break;
    after = Number(rows.at(-1)?.id);
  }
  res.end(first ? '[]' : ']');
}

createServer(async (req, res) => {
  try {
    if (req.url === '/page') {
      const rows = await query(`SELECT ${columns} FROM "Issue" ORDER BY id LIMIT $1`, [50]);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rows));
    } else if (req.url === '/all') {
      await streamAll(res);
    } else {
      res.writeHead(404).end();
    }
  } catch (error) {
    res.writeHead(500).end(String(error));
  }
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
