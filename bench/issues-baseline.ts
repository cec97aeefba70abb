/**
 * The baseline for bench/issues.ts: the same work as the server with plain
 * node:http and the database driver (pg, better-sqlite3), no framework:
 *   POST /graphql  reads and parses the body, verifies the bearer JWT with
 *                  jose (the server's key, issuer, audience and type), and
 *                  answers `issues(first: 50) { edges { node { id title
 *                  status severityLevel dueDate } } }` in the GraphQL envelope
 *   GET /all       verifies the token, then every issue as the REST getAll
 *                  answers it (issueJson), streamed in id batches with backpressure
 * Env: DATABASE_URL (file: or postgresql:), PORT, JWT_KEY_FILE.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Database from 'better-sqlite3';
import { importJWK, type JWK, jwtVerify } from 'jose';
import pg from 'pg';
import type { Issue } from '../src/db/types.ts';
import { regscaleFieldNames, regscaleFields } from '../src/issues/regscale-fields.ts';
import { severityLabel, statusLabel } from '../src/issues/regscale-values.ts';
import { issueJson } from '../src/rest/issue-json.ts';

const url = process.env.DATABASE_URL ?? '';
const sqlite = url.startsWith('file:');
const [stored] = (
  JSON.parse(readFileSync(process.env.JWT_KEY_FILE ?? '', 'utf8')) as { keys: (JWK & { alg: string })[] }
).keys;
if (!stored) throw new Error('no key in JWT_KEY_FILE');
const { kty, crv, x, y, alg } = stored;
const publicKey = await importJWK(Object.fromEntries(Object.entries({ kty, crv, x, y }).filter(([, v]) => v)), alg);

async function verified(req: IncomingMessage): Promise<boolean> {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!token) return false;
  try {
    await jwtVerify(token, publicKey, { issuer: 'grc-api', audience: 'grc-api', typ: 'at+jwt', algorithms: [alg] });
    return true;
  } catch {
    return false;
  }
}

/** Runs a statement with `$1`-style placeholders on either driver. */
type Query = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;
let query: Query;
if (sqlite) {
  const db = new Database(url.slice('file:'.length), { readonly: true });
  const statements = new Map<string, Database.Statement>();
  query = async (sql, params) => {
    const statement = statements.get(sql) ?? db.prepare(sql.replace(/\$\d+/g, '?'));
    statements.set(sql, statement);
    return statement.all(...params) as Record<string, unknown>[];
  };
} else {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  query = async (sql, params) => (await pool.query({ text: sql, values: params, name: sql.slice(0, 60) })).rows;
}

// SQLite answers dates as epoch milliseconds (or text) and booleans as 0/1.
const dateColumns = ['dueDate', 'dateCompleted', 'createdAt', 'updatedAt'].concat(
  regscaleFieldNames.filter((n) => regscaleFields[n] === 'date'),
);
const booleanColumns = regscaleFieldNames.filter((n) => regscaleFields[n] === 'boolean');
function typed(row: Record<string, unknown>): Issue {
  if (!sqlite) return row as unknown as Issue;
  for (const c of dateColumns) if (row[c] != null) row[c] = new Date(row[c] as number);
  for (const c of booleanColumns) if (row[c] != null) row[c] = row[c] === 1;
  return row as unknown as Issue;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return JSON.parse(Buffer.concat(parts).toString('utf8'));
}

async function page(req: IncomingMessage, res: ServerResponse) {
  const body = (await readBody(req)) as { query?: unknown };
  if (typeof body.query !== 'string') return void res.writeHead(400).end();
  if (!(await verified(req))) return void res.writeHead(401).end();
  const rows = await query(
    'SELECT id, title, status, "severityLevel", "dueDate" FROM "Issue" ORDER BY id LIMIT $1',
    [50],
  );
  const edges = rows.map((r) => {
    const row = typed(r);
    return {
      node: {
        id: String(row.id),
        title: row.title,
        status: statusLabel[row.status],
        severityLevel: severityLabel[row.severityLevel],
        dueDate: row.dueDate?.toISOString() ?? null,
      },
    };
  });
  res
    .writeHead(200, { 'content-type': 'application/graphql-response+json; charset=utf-8' })
    .end(JSON.stringify({ data: { issues: { edges } } }));
}

async function streamAll(req: IncomingMessage, res: ServerResponse) {
  if (!(await verified(req))) return void res.writeHead(401).end();
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  let after = 0;
  let first = true;
  for (;;) {
    const rows = await query('SELECT * FROM "Issue" WHERE id > $1 ORDER BY id LIMIT 1000', [after]);
    let chunk = '';
    for (const row of rows) {
      chunk += (first ? '[' : ',') + JSON.stringify(issueJson(typed(row)));
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
    if (req.method === 'POST' && req.url === '/graphql') await page(req, res);
    else if (req.url === '/all') await streamAll(req, res);
    else res.writeHead(404).end();
  } catch (error) {
    res.writeHead(500).end(String(error));
  }
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
