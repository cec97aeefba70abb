import { Role } from '../db/types.ts';
import { type AppError, ForbiddenError, UnauthenticatedError } from '../errors.ts';
import type { Principal } from './principal.ts';

/**
 * Every access rule of the server, each with the roles it accepts and
 * whether it is for people only. GraphQL's scopes (`can`), the REST
 * handlers, the services and the CLIs all ask this module; no rule is
 * written anywhere else. No role implies another.
 */
export const rules = {
  /** Any valid token, of a person or a script (GraphQL `me`). */
  signedIn: { roles: 'any', peopleOnly: false },
  /** Read issues (GraphQL `issue`, `issues`; REST `GET /api/issues/*`). */
  readIssues: { roles: [Role.ADMINISTRATOR, Role.ISSUE_MANAGER, Role.AUDITOR], peopleOnly: false },
  /** Create, change, close, reopen and delete issues. */
  writeIssues: { roles: [Role.ADMINISTRATOR, Role.ISSUE_MANAGER], peopleOnly: false },
  /**
   * List, create and change users, their roles and passwords. A person's
   * session only: a service-account token never manages users (separation
   * of duties), whatever its roles.
   */
  manageUsers: { roles: [Role.ADMINISTRATOR], peopleOnly: true },
  /** Create, list, rotate and revoke service accounts; people only, like `manageUsers`. */
  manageServiceAccounts: { roles: [Role.ADMINISTRATOR], peopleOnly: true },
  /** Read the audit trail. */
  readAuditEvents: { roles: [Role.ADMINISTRATOR], peopleOnly: false },
  /**
   * See another user's personal data (email, roles, active, last login);
   * everyone sees their own. Others see a user's id and name only.
   */
  readPersonalData: { roles: [Role.ADMINISTRATOR], peopleOnly: false },
  /** List and end one's own sessions, change one's own password: any signed-in person. */
  ownSessions: { roles: 'any', peopleOnly: true },
} as const satisfies Record<string, { roles: readonly Role[] | 'any'; peopleOnly: boolean }>;

export type Rule = keyof typeof rules;

/** The message of a refusal to a token of a script where a person is needed. */
const peopleOnlyMessage: Partial<Record<Rule, string>> & { default: string } = {
  default: 'Not authorized: service-account tokens cannot manage service accounts or users',
  ownSessions:
    'Not authorized: a service-account token has no session or password; revoke or rotate the account instead',
};

/** The message a caller without the role gets, naming the roles that would do. */
export function roleRequiredMessage(roles: readonly string[]): string {
  return `Not authorized: requires the role ${roles.join(' or ')}`;
}

/**
 * Why `principal` may not act under `rule`: `UnauthenticatedError` for an
 * anonymous caller, `ForbiddenError` naming what is missing otherwise; null
 * when it may.
 */
export function refusal(principal: Principal | null, rule: Rule): AppError | null {
  if (!principal) return new UnauthenticatedError();
  const { roles, peopleOnly } = rules[rule] as { roles: readonly Role[] | 'any'; peopleOnly: boolean };
  if (peopleOnly && principal.kind !== 'user') {
    return new ForbiddenError(peopleOnlyMessage[rule] ?? peopleOnlyMessage.default);
  }
  if (roles !== 'any' && !roles.some((role) => principal.roles.has(role))) {
    return new ForbiddenError(roleRequiredMessage(roles));
  }
  return null;
}

/** Whether `principal` may act under `rule`. */
export function allows(principal: Principal | null, rule: Rule): boolean {
  return refusal(principal, rule) === null;
}

/** Answers the principal if it may act under `rule`; throws the refusal otherwise. */
export function authorize(principal: Principal | null, rule: Rule): Principal {
  const refused = refusal(principal, rule);
  if (refused) throw refused;
  return principal as Principal;
}

/**
 * Roles an administrator may put on a service-account token: those they
 * hold, and the read-only AUDITOR, which every administrator may grant
 * because it is the default and reads no more than they do.
 */
export function grantableRoles(principal: Principal): Role[] {
  return Object.values(Role).filter((role) => role === Role.AUDITOR || principal.roles.has(role));
}

/** Throws unless every role in `roles` is one `principal` may grant. */
export function authorizeGrant(principal: Principal, roles: readonly Role[]): void {
  const grantable = new Set(grantableRoles(principal));
  const beyond = roles.filter((role) => !grantable.has(role));
  if (beyond.length > 0) {
    throw new ForbiddenError(`Not authorized: you cannot grant roles you do not hold (${beyond.join(', ')})`);
  }
}

/** Whether `principal` may see the personal data of user `userId` (their own always). */
export function maySeePersonalData(principal: Principal | null, userId: string): boolean {
  return (principal?.kind === 'user' && principal.userId === userId) || allows(principal, 'readPersonalData');
}

/** Throws unless `principal` may list or end the sessions of user `ownerId`: their own, or as an administrator. */
export function authorizeSessionsOf(principal: Principal | null, ownerId: string): Principal {
  const person = authorize(principal, 'ownSessions');
  return person.userId === ownerId ? person : authorize(principal, 'manageUsers');
}
