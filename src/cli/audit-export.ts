/**
 * Prints the audit trail from a date as NDJSON, from the shell: it reads the
 * configured database directly, with no running server and no token (whoever
 * can run it can read the database anyway).
 *
 *   npm run -s audit:export -- --since <ISO 8601> [--until <ISO 8601>] > audit.ndjson
 *
 * The lines are those of `GET /api/audit/export`: one JSON object an event,
 * oldest first. Only the events go to standard output; messages go to
 * standard error. Exit codes: 0 done, 1 failed, 2 a usage error.
 */

import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { auditEventJson, auditEventsIn, parseExportRange } from '../audit/export.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { createDb, sqlitePath } from '../db/client.ts';
import { AppError } from '../errors.ts';

const synopsis = 'usage: npm run -s audit:export -- --since <ISO 8601> [--until <ISO 8601>]';

const usage = `${synopsis}

Prints the audit events of the configured database (DATABASE_URL) at or after
--since, and at or before --until when given, oldest first, as NDJSON: one JSON
object a line, the same lines as GET /api/audit/export.

  --since WHEN  a date-time with a time zone (2026-01-31T09:00:00Z) or a date
                (midnight UTC); required
  --until WHEN  the same; the export stops there (default: the latest event)
  -h, --help    print this help and do nothing else

Exit codes: 0 done, 1 failed, 2 usage error.
`;

/** A failure that ends the command with a message and an exit code. */
class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

const usageError = (message: string) => new CommandError(`${message}\n${synopsis}\n(--help for more)`, 2);

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

/** Writes to standard output, waiting while its buffer is full; false once the reader has gone (`| head`). */
async function write(text: string): Promise<boolean> {
  if (process.stdout.destroyed) return false;
  if (process.stdout.write(text)) return true;
  try {
    await once(process.stdout, 'drain');
    return true;
  } catch {
    return false;
  }
}

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (args.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (args.since === undefined) throw usageError('--since is required');
  let range: ReturnType<typeof parseExportRange>;
  try {
    range = parseExportRange({ since: args.since, until: args.until });
  } catch (error) {
    if (error instanceof AppError) throw usageError(`--${error.message}`);
    throw error;
  }

  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    throw new CommandError(error instanceof ConfigError ? error.message : String(error), 1);
  }
  // Opening a SQLite file that is not there would create an empty database: a mistyped DATABASE_URL.
  if (config.provider === 'sqlite' && !existsSync(sqlitePath(config.databaseUrl))) {
    throw new CommandError(`No database at ${sqlitePath(config.databaseUrl)} (DATABASE_URL).`, 1);
  }
  const { db } = createDb(config.databaseUrl, { poolSize: 1 });
  // A reader that goes away (`| head`) ends the export quietly.
  process.stdout.on('error', () => {});
  try {
    let lines: string[] = [];
    for await (const event of auditEventsIn(db, range)) {
      lines.push(`${JSON.stringify(auditEventJson(event))}\n`);
      if (lines.length === 100) {
        if (!(await write(lines.join('')))) return 0;
        lines = [];
      }
    }
    if (lines.length > 0) await write(lines.join(''));
    return 0;
  } finally {
    await db.$disconnect();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // A database that cannot be reached, say: one line, not a stack.
  const message = error instanceof CommandError ? error.message : `audit export failed: ${String(error)}`;
  process.stderr.write(`${message.trimEnd()}\n`);
  process.exitCode = error instanceof CommandError ? error.exitCode : 1;
}
