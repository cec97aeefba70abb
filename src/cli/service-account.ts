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
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
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

const usage =
  'usage: npm run service-account -- create --days N --purpose TEXT [--roles R1,R2] [--admin NAME] | list [--status S] | revoke ID';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    days: { type: 'string' },
    purpose: { type: 'string' },
    roles: { type: 'string' },
    admin: { type: 'string' },
    status: { type: 'string' },
  },
});
const [command, id] = positionals;
if (!command || !['create', 'list', 'revoke'].includes(command)) fail(usage);

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
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
  if (!admin) fail(values.admin ? `No active administrator named ${values.admin}` : 'No active administrator');
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

  if (command === 'create') {
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
  } else if (command === 'list') {
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
    const revoked = await accounts.revokeServiceAccount(ctx, id);
    process.stderr.write(`Service account ${revoked.id} revoked.\n`);
  }
} catch (error) {
  if (error instanceof AppError) fail(`${error.code}: ${error.message}`);
  throw error;
} finally {
  await auth.stop();
  await db.$disconnect();
}
