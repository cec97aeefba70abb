import { writeAudit } from '../audit/writer.ts';
import { hashPassword, randomPassword } from '../auth/password.ts';
import type { Db } from '../db/client.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { Role } from '../db/types.ts';
import type { Logger } from '../logger.ts';

export interface FirstAdministrator {
  userName: string;
  /** When unset, a random password is made and shown once. */
  password: string | undefined;
}

/**
 * Creates the first administrator when the database has no user at all.
 * With no configured password a strong random one is generated and handed
 * to `show` once (the console, never the log). Safe when several instances
 * start at once: the unique user name lets only one of them win.
 */
export async function ensureFirstAdministrator(
  db: Db,
  admin: FirstAdministrator,
  log: Logger,
  show: (message: string) => void,
): Promise<boolean> {
  if ((await db.user.count()) > 0) return false;
  const password = admin.password ?? randomPassword();
  const passwordHash = await hashPassword(password);
  try {
    // The user and its audit event commit together, or neither does.
    await db.$transaction(async (tx) => {
      const user = await tx.user.create({
        data: {
          userName: admin.userName,
          userNameKey: admin.userName.toLowerCase(),
          displayName: 'Administrator',
          passwordHash,
          roles: { create: [{ role: Role.ADMINISTRATOR }] },
        },
      });
      await writeAudit(tx, {
        actor: { type: 'SYSTEM' },
        action: 'user.created',
        targetType: 'User',
        targetId: user.id,
        details: { userName: user.userName, roles: [Role.ADMINISTRATOR], bootstrap: true },
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
  log.info({ userName: admin.userName, generatedPassword: !admin.password }, 'first administrator created');
  if (!admin.password) {
    show(
      [
        '',
        '==================================================================',
        ' First administrator created. This password is shown only once:',
        `   user name: ${admin.userName}`,
        `   password:  ${password}`,
        ' Sign in and change it, or set ADMIN_USERNAME / ADMIN_PASSWORD.',
        '==================================================================',
        '',
      ].join('\n'),
    );
  }
  return true;
}
