import type { Principal } from '../context.ts';
import { ForbiddenError, UnauthenticatedError } from '../errors.ts';
import { Role } from '../generated/sqlite/enums.ts';

/**
 * Who may do what, named once. GraphQL's scope-auth rules and the service
 * functions (which REST calls too) both read these lists.
 */
export const permissions = {
  readIssues: [Role.ADMINISTRATOR, Role.ISSUE_MANAGER, Role.AUDITOR],
  writeIssues: [Role.ADMINISTRATOR, Role.ISSUE_MANAGER],
  manageUsers: [Role.ADMINISTRATOR],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof permissions;

/** The message a caller without the role gets, naming the roles that would do. */
export function roleRequiredMessage(roles: readonly string[]): string {
  return `Not authorized: requires the role ${roles.join(' or ')}`;
}

/** Throws unless the principal holds one of the permission's roles. */
export function requirePermission(principal: Principal | null, permission: Permission): Principal {
  if (!principal) throw new UnauthenticatedError();
  const roles = permissions[permission];
  if (!roles.some((role) => principal.roles.has(role))) throw new ForbiddenError(roleRequiredMessage(roles));
  return principal;
}
