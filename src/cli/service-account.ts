/**
 * Service accounts from the command line, for automation; the same code as
 * the GraphQL mutations, acting as an administrator of the database:
 *
 *   npm run service-account -- create --days 30 --purpose "Nightly export" [--roles AUDITOR,ISSUE_MANAGER] [--admin <userName>]
 *   npm run service-account -- list [--status ACTIVE|EXPIRING_SOON|EXPIRED|REVOKED]
 *   npm run service-account -- revoke <id> [--admin <userName>]
 *
 * `create` prints the token once, alone on standard output; everything else
 * goes to standard error, so `TOKEN=$(npm run -s service-account -- create ...)` works.
 * Exit codes: 0 done, 1 refused or failed, 2 a usage error (nothing done).
 */
import { randomUUID } from 'node:crypto';
import { principalOf } from '../auth/authenticate.ts';
import { createAuth } from '../auth/runtime.ts';
import { ConfigError, loadConfig } from '../config.ts';
import type { ServiceContext } from '../context.ts';
import { createDb } from '../db/client.ts';
import { applyMigrations } from '../db/migrate.ts';
import { Role } from '../db/types.ts';
import { AppError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import * as accounts from '../service-accounts/service.ts';
import { statusOf } from '../service-accounts/status.ts';
import { CommandError, exitWithUsageError, parseCommandLine, runCommand } from './args.ts';

const command = {
  synopsis:
    'usage: npm run service-account -- create --days N --purpose TEXT [--roles R1,R2] [--admin NAME] | list [--status S] | revoke ID [--admin NAME]',
  help: `Manages service accounts in the configured database (DATABASE_URL), acting as
an administrator (the oldest active one, or --admin NAME).

  create            a new account; its token is printed once on standard output
    --days N        lifetime in days (1 to SERVICE_ACCOUNT_MAX_DAYS)
    --purpose TEXT  what the token is for
    --roles R1,R2   its roles (default AUDITOR)
  list              every account: id, status, expiry, roles, uses, purpose
    --status S      only ACTIVE, EXPIRING_SOON, EXPIRED, REVOKED or SUSPENDED ones
  revoke ID         revokes the account ID
  --admin NAME      the administrator to act as (create, revoke)
  -h, --help        print this help and do nothing else

Exit codes: 0 done, 1 refused or failed, 2 usage error (nothing done).
`,
  options: {
    days: { type: 'string' },
    purpose: { type: 'string' },
    roles: { type: 'string' },
    admin: { type: 'string' },
    status: { type: 'string' },
  },
  maxPositionals: 2,
} as const;

/** The options each subcommand takes; any other is a usage error. */
const accepted = {
  create: ['days', 'purpose', 'roles', 'admin'],
  list: ['status'],
  revoke: ['admin'],
} as const;

const { positionals, values } = parseCommandLine(command);
const [name, id] = positionals;
if (name !== 'create' && name !== 'list' && name !== 'revoke') {
  exitWithUsageError(
    command,
    name === undefined ? 'Name a command: create, list or revoke' : `Unknown command '${name}'`,
  );
}
const misplaced = Object.keys(values).find((option) => !(accepted[name] as readonly string[]).includes(option));
const problem =
  misplaced !== undefined
    ? `--${misplaced} does not apply to ${name}`
    : name === 'revoke' && id === undefined
      ? 'revoke needs the ID of the account'
      : name !== 'revoke' && id !== undefined
        ? `Unexpected argument '${id}'`
        : undefined;
if (problem) exitWithUsageError(command, problem);

await runCommand('service-account', async () => {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    throw new CommandError(error instanceof ConfigError ? error.message : String(error), 1);
  }
  const log = createLogger('warn');
  if (config.migrateOnStart) await applyMigrations(config.databaseUrl);
  const { db } = createDb(config.databaseUrl);
  const auth = await createAuth(config, log, db);
  try {
    // Act as the named administrator, or the oldest active one.
    const admin = await db.user.findFirst({
      where: {
        active: true,
        roles: { some: { role: Role.ADMINISTRATOR } },
        ...(values.admin ? { userNameKey: values.admin.toLowerCase() } : {}),
      },
      include: { roles: true },
      orderBy: { createdAt: 'asc' },
    });
    if (!admin)
      throw new CommandError(
        values.admin ? `No active administrator named ${values.admin}` : 'No active administrator',
        1,
      );
    const principal = principalOf({
      kind: 'user',
      subject: admin.id,
      userName: admin.userName,
      roles: admin.roles.map((r) => r.role),
      tokenId: `cli-${randomUUID()}`,
      issuedAt: new Date(),
      expiresAt: new Date(Date.now() + 60_000),
    });
    const ctx: ServiceContext = { db, principal, clientIp: 'cli', requestId: randomUUID(), log, auth, config };

    if (name === 'create') {
      const roles = values.roles?.split(',').map((r) => r.trim().toUpperCase());
      const { token, serviceAccount } = await accounts.createServiceAccount(ctx, {
        durationDays: values.days === undefined ? undefined : Number(values.days),
        purpose: values.purpose,
        roles,
      });
      process.stderr.write(
        `Service account ${serviceAccount.id} (${serviceAccount.purpose}) expires ${serviceAccount.expiresAt.toISOString()}.\n` +
          'The token below is shown once and cannot be read again:\n',
      );
      process.stdout.write(`${token}\n`);
    } else if (name === 'list') {
      const list = await accounts.listServiceAccounts(
        ctx,
        { status: values.status?.toUpperCase() },
        { include: { roles: true } },
      );
      const now = new Date();
      for (const a of list) {
        const status = statusOf(a, now, config.serviceAccounts.expiringSoonDays);
        const roles = (a as typeof a & { roles: { role: string }[] }).roles.map((r) => r.role).join(',');
        process.stdout.write(
          `${a.id}\t${status}\t${a.expiresAt.toISOString()}\t${roles}\tuses=${a.useCount}\t${a.purpose}\n`,
        );
      }
    } else {
      const revoked = await accounts.revokeServiceAccount(ctx, id as string);
      process.stderr.write(`Service account ${revoked.id} revoked.\n`);
    }
  } catch (error) {
    if (error instanceof AppError) throw new CommandError(`${error.code}: ${error.message}`, 1);
    throw error;
  } finally {
    await auth.stop();
    await db.$disconnect();
  }
});
