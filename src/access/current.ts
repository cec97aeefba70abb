import type { ServiceContext } from '../context.ts';
import type { Role } from '../db/types.ts';
import { UnauthenticatedError } from '../errors.ts';
import { authorize, type Rule } from './policy.ts';
import type { Principal } from './principal.ts';

/**
 * `authorize`, then the same rule against the caller's authority as stored
 * now: an inactive caller is refused, and the roles are those of the token
 * that the user still holds (token ∩ stored), so a demoted administrator's
 * old token manages nothing, whatever its claims say. For the rules that
 * hand out power (managing users and service accounts); it costs one read.
 */
export async function authorizeNow(ctx: ServiceContext, rule: Rule): Promise<Principal> {
  const principal = authorize(ctx.principal, rule);
  const stored = await ctx.db.user.findUnique({
    where: { id: principal.userId },
    select: { active: true, roles: { select: { role: true } } },
  });
  if (!stored?.active) throw new UnauthenticatedError('Account deactivated', true);
  const held = new Set<Role>(stored.roles.map((r) => r.role));
  const current: Principal = { ...principal, roles: new Set([...principal.roles].filter((r) => held.has(r))) };
  return authorize(current, rule);
}
