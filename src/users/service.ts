import { authorizeNow } from '../access/current.ts';
import { authorize } from '../access/policy.ts';
import { recordAudit } from '../audit/writer.ts';
import { announceTokenChange } from '../auth/change-feed.ts';
import { hashPassword } from '../auth/password.ts';
import type { ServiceContext } from '../context.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { transact } from '../db/transaction.ts';
import { type Prisma, Role } from '../db/types.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { createUserInput, parseUserId, updateUserInput } from './input.ts';

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

export async function findUser(ctx: ServiceContext, id: unknown) {
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
export async function keepingAnAdministrator<T>(
  ctx: ServiceContext,
  change: (tx: ServiceContext['db']) => Promise<T>,
): Promise<T> {
  return transact(
    ctx,
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
  await authorizeNow(ctx, 'manageUsers');
  const data = parseInput(createUserInput, input, 'input');
  const granted = [...new Set(data.roles ?? [Role.AUDITOR])];
  try {
    const passwordHash = await hashPassword(data.password);
    return await transact(ctx, async (tx) => {
      const user = await tx.user.create({
        ...(query as object),
        data: {
          userName: data.userName,
          userNameKey: data.userName.toLowerCase(),
          email: data.email ?? null,
          displayName: data.displayName ?? null,
          passwordHash,
          roles: { create: granted.map((role) => ({ role })) },
        },
      });
      await recordAudit(
        ctx,
        {
          action: 'user.created',
          targetType: 'User',
          targetId: user.id,
          details: { userName: user.userName, roles: granted },
        },
        tx,
      );
      return user;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`A user named ${data.userName} already exists`);
    throw error;
  }
}

export async function updateUser(ctx: ServiceContext, id: unknown, input: unknown, query: UserQuery = {}) {
  await authorizeNow(ctx, 'manageUsers');
  const user = await findUser(ctx, id);
  const data = parseInput(updateUserInput, input, 'input');
  const changes = {
    ...(data.email !== undefined ? { email: data.email } : {}),
    ...(data.displayName !== undefined ? { displayName: data.displayName } : {}),
  };
  return transact(ctx, async (tx) => {
    const updated = await tx.user.update({ ...(query as object), where: { id: user.id }, data: changes });
    await recordAudit(
      ctx,
      { action: 'user.updated', targetType: 'User', targetId: user.id, details: { fields: Object.keys(changes) } },
      tx,
    );
    return updated;
  });
}

/** Lets a deactivated user sign in again; none of their old tokens comes back. */
export async function activateUser(ctx: ServiceContext, id: unknown, query: UserQuery = {}) {
  await authorizeNow(ctx, 'manageUsers');
  const user = await findUser(ctx, id);
  const updated = await transact(ctx, async (tx) => {
    const row = await tx.user.update({ ...(query as object), where: { id: user.id }, data: { active: true } });
    await announceTokenChange(tx, ctx.config.provider);
    await recordAudit(ctx, { action: 'user.activated', targetType: 'User', targetId: user.id }, tx);
    return row;
  });
  // Tokens issued before the deactivation stay refused: its cut-off stays.
  ctx.auth.revocations.setUser(user.id, { active: true, tokensValidAfter: user.tokensValidAfter });
  return updated;
}
