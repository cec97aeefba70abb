/**
 * Resets a user's password from the shell, for an administrator who lost
 * theirs: it works on the configured database directly, with no running
 * server and no token.
 *
 *   npm run admin:reset-password -- [--user NAME] [--password-stdin] [--activate]
 *
 * A generated password is printed once, alone on standard output; everything
 * else goes to standard error, so `PASSWORD=$(npm run -s admin:reset-password)`
 * works. The password is never logged. Exit codes: 0 done, 1 refused or
 * failed (nothing changed), 2 a usage error (nothing done).
 */
import { existsSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { writeAudit } from '../audit/writer.ts';
import { hashPassword, randomPassword } from '../auth/password.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { createDb, type Db, sqlitePath } from '../db/client.ts';
import { applyMigrations } from '../db/migrate.ts';
import { AppError } from '../errors.ts';
import { parseNewPassword } from '../users/input.ts';
import { CommandError, parseCommandLine, runCommand, usageError, type Values } from './args.ts';

const command = {
  synopsis: 'usage: npm run admin:reset-password -- [--user NAME] [--password-stdin] [--activate]',
  help: `Resets a user's password in the configured database (DATABASE_URL) and records
it in the audit log. Without --password-stdin a strong random password is
generated and printed once on standard output.

  --user NAME       the user, in any case (default: ADMIN_USERNAME, else admin)
  --password-stdin  read the new password from standard input instead
                    (12 to 1024 characters; one final line break is dropped)
  --activate        reactivate the user too, if it is inactive
  -h, --help        print this help and do nothing else

Exit codes: 0 done, 1 refused or failed (nothing changed), 2 usage error.
`,
  options: {
    user: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    activate: { type: 'boolean' },
  },
} as const;

/**
 * Sets a user's password hash (and, with `activate`, its active flag) and
 * writes the SYSTEM audit events, all in one transaction.
 */
async function resetPassword(
  db: Db,
  userName: string,
  password: string,
  activate: boolean,
): Promise<{ id: string; userName: string; activated: boolean }> {
  const user = await db.user.findUnique({ where: { userNameKey: userName.toLowerCase() } });
  if (!user) throw new CommandError(`No user named ${userName}; nothing was changed.`, 1);
  if (!user.active && !activate) {
    throw new CommandError(
      `User ${user.userName} is inactive; nothing was changed. Add --activate to reactivate it as well.`,
      1,
    );
  }
  const activated = !user.active;
  const passwordHash = await hashPassword(password);
  const audit = (action: string) =>
    writeAudit(db, {
      actor: { type: 'SYSTEM' },
      action,
      targetType: 'User',
      targetId: user.id,
      details: { via: 'cli' },
    });
  await db.$transaction([
    // Running servers see the activation through updatedAt, which this bumps.
    db.user.update({ where: { id: user.id }, data: { passwordHash, ...(activated ? { active: true } : {}) } }),
    audit('user.password_reset'),
    ...(activated ? [audit('user.activated')] : []),
  ]);
  return { id: user.id, userName: user.userName, activated };
}

async function main(args: Values<typeof command.options>): Promise<number> {
  if (args.user !== undefined && args.user.trim() === '') throw usageError(command, '--user must name a user');

  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    throw new CommandError(error instanceof ConfigError ? error.message : String(error), 1);
  }
  const userName = args.user?.trim() ?? config.admin.userName;

  const given = args['password-stdin'];
  if (given && process.stdin.isTTY) {
    process.stderr.write('Type the new password (it is shown as you type), then Enter and Ctrl-D:\n');
  }
  let password: string;
  try {
    password = parseNewPassword(
      given ? (await text(process.stdin)).replace(/\r?\n$/, '') : randomPassword(),
      'password',
    );
  } catch (error) {
    if (error instanceof AppError) throw new CommandError(`${error.message}; nothing was changed.`, 1);
    throw error;
  }

  // Opening a SQLite file that is not there would create an empty database: a mistyped DATABASE_URL.
  if (config.provider === 'sqlite' && !existsSync(sqlitePath(config.databaseUrl))) {
    throw new CommandError(`No database at ${sqlitePath(config.databaseUrl)} (DATABASE_URL); nothing was changed.`, 1);
  }
  if (config.migrateOnStart) await applyMigrations(config.databaseUrl);
  const { db } = createDb(config.databaseUrl, { poolSize: 1 });
  try {
    const user = await resetPassword(db, userName, password, args.activate ?? false);
    process.stderr.write(
      `Password of ${user.userName} (${user.id}) reset${user.activated ? '; the user is active again' : ''}.\n`,
    );
    if (!given) {
      process.stderr.write('The new password below is shown once and cannot be read again:\n');
      process.stdout.write(`${password}\n`);
    }
    return 0;
  } finally {
    await db.$disconnect();
  }
}

const { values } = parseCommandLine(command);
await runCommand('reset-password', () => main(values));
