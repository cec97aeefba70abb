import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import ScopeAuthPlugin, { type AuthFailure, AuthScopeFailureType } from '@pothos/plugin-scope-auth';
import { DateTimeResolver } from 'graphql-scalars';
import type { AuthenticatedContext, RequestContext } from '../context.ts';
import { ForbiddenError, UnauthenticatedError } from '../errors.ts';
import type PrismaTypes from '../generated/pothos-types.ts';
import { getDatamodel } from '../generated/pothos-types.ts';
import { Role } from '../generated/sqlite/enums.ts';
import { roleRequiredMessage } from '../services/permissions.ts';

/** Whether a failed scope check asked for a person's session (the `user` scope). */
function askedForUserSession(failure: AuthFailure): boolean {
  if (failure.kind === AuthScopeFailureType.AuthScope) return failure.scope === 'user';
  if (failure.kind === AuthScopeFailureType.AnyAuthScopes || failure.kind === AuthScopeFailureType.AllAuthScopes) {
    return failure.failures.some(askedForUserSession);
  }
  return false;
}

/** The roles a failed scope check asked for, to name them in the error. */
function rolesAskedFor(failure: AuthFailure): string[] {
  switch (failure.kind) {
    case AuthScopeFailureType.AuthScope:
      if (failure.scope === 'hasRole') return [String(failure.parameter)];
      if (failure.scope === 'hasAnyRole') return (failure.parameter as Role[]).map(String);
      if (failure.scope === 'admin') return [Role.ADMINISTRATOR];
      return [];
    case AuthScopeFailureType.AnyAuthScopes:
    case AuthScopeFailureType.AllAuthScopes:
      return failure.failures.flatMap(rolesAskedFor);
    default:
      return [];
  }
}

export const builder = new SchemaBuilder<{
  Context: RequestContext;
  PrismaTypes: PrismaTypes;
  AuthScopes: {
    loggedIn: boolean;
    admin: boolean;
    hasRole: Role;
    /** Holds at least one of these roles (see `permissions`). */
    hasAnyRole: readonly Role[];
    /** The caller is a person (a user session), not a service-account token. */
    user: boolean;
  };
  AuthContexts: {
    loggedIn: AuthenticatedContext;
    admin: AuthenticatedContext;
    hasRole: AuthenticatedContext;
    hasAnyRole: AuthenticatedContext;
    user: AuthenticatedContext;
  };
  Scalars: { DateTime: { Input: Date; Output: Date } };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: false;
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (ctx) => ({
      loggedIn: ctx.principal !== null,
      admin: ctx.principal?.roles.has(Role.ADMINISTRATOR) ?? false,
      hasRole: (role) => ctx.principal?.roles.has(role) ?? false,
      hasAnyRole: (roles) => roles.some((role) => ctx.principal?.roles.has(role)),
      user: ctx.principal?.kind === 'user',
    }),
    // Anonymous callers are told to authenticate (401); known callers
    // without the role are told which role the rule asks for (403).
    unauthorizedError: (_parent, ctx, _info, result) => {
      if (!ctx.principal) return new UnauthenticatedError();
      if (ctx.principal.kind === 'serviceAccount' && askedForUserSession(result.failure)) {
        return new ForbiddenError('Not authorized: service-account tokens cannot manage service accounts or users');
      }
      const roles = [...new Set(rolesAskedFor(result.failure))];
      if (roles.length === 0) return new ForbiddenError('Not authorized: this is not available to your credentials');
      return new ForbiddenError(roleRequiredMessage(roles));
    },
  },
  prisma: {
    client: (ctx) => ctx.db,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
});

builder.addScalarType('DateTime', DateTimeResolver);

export const RoleEnum = builder.enumType('Role', {
  description: 'What a user or a service-account token may do. Each rule names the roles it accepts.',
  values: {
    ADMINISTRATOR: {
      value: Role.ADMINISTRATOR,
      description: 'Manages users, roles and service accounts; reads and writes issues.',
    },
    ISSUE_MANAGER: { value: Role.ISSUE_MANAGER, description: 'Creates, updates, closes and deletes issues.' },
    AUDITOR: { value: Role.AUDITOR, description: 'Reads issues; changes nothing.' },
  } as const,
});
