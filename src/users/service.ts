import { z } from 'zod';
import { authorize } from '../access/policy.ts';
import { recordAudit } from '../audit/writer.ts';
import { hashPassword } from '../auth/password.ts';
import type { ServiceContext } from '../context.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { type Prisma, Role } from '../db/types.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { parseInput, string } from '../validation.ts';

const userName = string()
  .trim()
  .min(3, 'must be at least 3 characters')
  .max(100, 'must be at most 100 characters')
  .regex(/^[\p{L}\p{N}._@-]+$/u, 'may hold only letters, digits and . _ @ -');
const password = string().min(12, 'must be at least 12 characters').max(1024, 'must be at most 1024 characters');
const email = string().trim().max(320).email('must be an email address');
const displayName = string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const roles = z.array(z.enum(Role)).max(Object.keys(Role).length);
const userId = z.string().trim().uuid('must be a user id');

const createUserInput = z.object({
  userName,
  password,
  email: email.nullish(),
  displayName: displayName.nullish(),
  roles: roles.nullish(),
});

const updateUserInput = z.object({
  email: email.nullish(),
  displayName: displayName.nullish(),
});

/** A user id (UUID) from input; BAD_USER_INPUT otherwise. */
export function parseUserId(id: unknown): string {
  return parseInput(userId, id, 'id');
}

/** A new password by the rule of every transport (12 to 1024 characters); BAD_USER_INPUT otherwise. */
export function parseNewPassword(value: unknown, field = 'newPassword'): string {
  return parseInput(password, value, field);
}

/** What GraphQL asks of a row (Pothos's `query`), so that a mutation reads its row once. */
export type UserQuery = { include?: Prisma.UserInclude; select?: Prisma.UserSelect };

/** Every user, oldest first. */
export async function listUsers(ctx: ServiceContext, query: UserQuery = {}) {
  authorize(ctx.principal, 'manageUsers');
  return ctx.db.user.findMany({ ...(query as object), orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
}

/** One user, or null. */
export async function getUser(ctx: ServiceContext, id: unknown, query: UserQuery = {}) {
  authorize(ctx.principal, 'manageUsers');
  return ctx.db.user.findUnique({ ...(query as object), where: { id: parseUserId(id) } });
}

async function findUser(ctx: ServiceContext, id: unknown) {
  const parsed = parseUserId(id);
  const user = await ctx.db.user.findUnique({ where: { id: parsed }, include: { roles: true } });
  if (!user) throw new NotFoundError('User not found');
  return user;
}

/**
 * Runs `change` in a transaction and refuses it if afterwards no active
 * administrator would be left. Serializable, so two administrators demoting
 * each other at once cannot both succeed.
 */
async function keepingAnAdministrator<T>(
  ctx: ServiceContext,
  change: (tx: ServiceContext['db']) => Promise<T>,
): Promise<T> {
  return ctx.db.$transaction(
    async (tx) => {
      const result = await change(tx as ServiceContext['db']);
      const admins = await tx.user.count({ where: { active: true, roles: { some: { role: Role.ADMINISTRATOR } } } });
      if (admins === 0) throw new ConflictError('Refused: this would leave no active administrator');
      return result;
    },
    { isolationLevel: 'Serializable' },
  );
}

export async function createUser(ctx: ServiceContext, input: unknown, query: UserQuery = {}) {
  authorize(ctx.principal, 'manageUsers');
  const data = parseInput(createUserInput, input, 'input');
  const granted = [...new Set(data.roles ?? [Role.AUDITOR])];
  try {
    const user = await ctx.db.user.create({
      ...(query as object),
      data: {
        userName: data.userName,
        userNameKey: data.userName.toLowerCase(),
        email: data.email ?? null,
        displayName: data.displayName ?? null,
        passwordHash: await hashPassword(data.password),
        roles: { create: granted.map((role) => ({ role })) },
      },
    });
    await recordAudit(ctx, {
      action: 'user.created',
      targetType: 'User',
      targetId: user.id,
      details: { userName: user.userName, roles: granted },
    });
    return user;
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`A user named ${data.userName} already exists`);
    throw error;
  }
}

export async function updateUser(ctx: ServiceContext, id: unknown, input: unknown, query: UserQuery = {}) {
  authorize(ctx.principal, 'manageUsers');
  const user = await findUser(ctx, id);
  const data = parseInput(updateUserInput, input, 'input');
  const changes = {
    ...(data.email !== undefined ? { email: data.email } : {}),
    ...(data.displayName !== undefined ? { displayName: data.displayName } : {}),
  };
  const updated = await ctx.db.user.update({ ...(query as object), where: { id: user.id }, data: changes });
  await recordAudit(ctx, {
    action: 'user.updated',
    targetType: 'User',
    targetId: user.id,
    details: { fields: Object.keys(changes) },
  });
  return updated;
}

/** Replaces a user's roles. They reach the user's token at the next login. */
export async function setUserRoles(ctx: ServiceContext, id: unknown, input: unknown, query: UserQuery = {}) {
  authorize(ctx.principal, 'manageUsers');
  const user = await findUser(ctx, id);
  const wanted = [...new Set(parseInput(roles, input, 'roles'))].sort();
  const before = user.roles.map((r) => r.role).sort();
  await keepingAnAdministrator(ctx, async (tx) => {
    await tx.userRole.deleteMany({ where: { userId: user.id } });
    await tx.userRole.createMany({ data: wanted.map((role) => ({ userId: user.id, role })) });
  });
  await recordAudit(ctx, {
    action: 'user.roles_changed',
    targetType: 'User',
    targetId: user.id,
    details: { before, after: wanted },
  });
  return ctx.db.user.findUniqueOrThrow({ ...(query as object), where: { id: user.id } });
}

/** Deactivates a user: no further logins, and tokens already issued are refused (within a second on every instance). */
export async function deactivateUser(ctx: ServiceContext, id: unknown, query: UserQuery = {}) {
  authorize(ctx.principal, 'manageUsers');
  const user = await findUser(ctx, id);
  const updated = await keepingAnAdministrator(ctx, (tx) =>
    tx.user.update({ ...(query as object), where: { id: user.id }, data: { active: false } }),
  );
  ctx.auth.revocations.setUserActive(user.id, false, updated.updatedAt);
  await recordAudit(ctx, { action: 'user.deactivated', targetType: 'User', targetId: user.id });
  return updated;
}

export async function activateUser(ctx: ServiceContext, id: unknown, query: UserQuery = {}) {
  authorize(ctx.principal, 'manageUsers');
  const user = await findUser(ctx, id);
  const updated = await ctx.db.user.update({ ...(query as object), where: { id: user.id }, data: { active: true } });
  ctx.auth.revocations.setUserActive(user.id, true, updated.updatedAt);
  await recordAudit(ctx, { action: 'user.activated', targetType: 'User', targetId: user.id });
  return updated;
}

export async function resetUserPassword(ctx: ServiceContext, id: unknown, newPassword: unknown, query: UserQuery = {}) {
  authorize(ctx.principal, 'manageUsers');
  const user = await findUser(ctx, id);
  const hash = await hashPassword(parseInput(password, newPassword, 'newPassword'));
  const updated = await ctx.db.user.update({
    ...(query as object),
    where: { id: user.id },
    data: { passwordHash: hash },
  });
  await recordAudit(ctx, { action: 'user.password_reset', targetType: 'User', targetId: user.id });
  return updated;
}
