import { trace } from '@opentelemetry/api';
import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import ScopeAuthPlugin, { type AuthFailure, AuthScopeFailureType } from '@pothos/plugin-scope-auth';
import TracingPlugin, { isEnumField, isExposedField, isRootField, isScalarField } from '@pothos/plugin-tracing';
import { createOpenTelemetryWrapper } from '@pothos/tracing-opentelemetry';
import { GraphQLScalarType } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { allows, type Rule, refusal } from '../access/policy.ts';
import { tracingRequested } from '../config.ts';
import type { AuthenticatedContext, RequestContext } from '../context.ts';
import { Role } from '../db/types.ts';
import { ForbiddenError, UnauthenticatedError } from '../errors.ts';
import type PrismaTypes from '../generated/pothos-types.ts';
import { getDatamodel } from '../generated/pothos-types.ts';
import { tracerName } from '../telemetry.ts';
import { version } from '../version.ts';

/** The first rule a failed scope check asked for (`can`), to let the access policy word the refusal. */
function ruleAskedFor(failure: AuthFailure): Rule | undefined {
  if (failure.kind === AuthScopeFailureType.AuthScope)
    return failure.scope === 'can' ? (failure.parameter as Rule) : undefined;
  if (failure.kind === AuthScopeFailureType.AnyAuthScopes || failure.kind === AuthScopeFailureType.AllAuthScopes) {
    for (const inner of failure.failures) {
      const rule = ruleAskedFor(inner);
      if (rule) return rule;
    }
  }
  return undefined;
}

/**
 * Resolver spans, decided once as the schema is built: with tracing off no
 * resolver is wrapped (no cost per request). With it on, the fields that may
 * reach the database get a span, active while they run so that Prisma's query
 * spans nest under it: root fields and object fields with a resolver of their
 * own (relations, connections); not scalars, enums or exposed columns.
 */
const wrapResolver = createOpenTelemetryWrapper(trace.getTracer(tracerName, version), {
  onSpan: (span, _options, _parent, _args, _context, info) =>
    span.updateName(`graphql.resolve ${info.parentType.name}.${info.fieldName}`),
});
const tracesResolvers = tracingRequested();

export const builder = new SchemaBuilder<{
  Context: RequestContext;
  PrismaTypes: PrismaTypes;
  AuthScopes: {
    /** The access policy allows the caller this rule (`src/access/policy.ts`). */
    can: Rule;
  };
  AuthContexts: {
    can: AuthenticatedContext;
  };
  Scalars: { DateTime: { Input: Date; Output: Date } };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: false;
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin, TracingPlugin],
  defaultFieldNullability: false,
  tracing: {
    default: (field) =>
      tracesResolvers && (isRootField(field) || !(isScalarField(field) || isEnumField(field) || isExposedField(field))),
    wrap: (resolver, options) => wrapResolver(resolver, options),
  },
  scopeAuth: {
    authScopes: (ctx) => ({ can: (rule) => allows(ctx.principal, rule) }),
    // The access policy words every refusal: 401 for anonymous callers,
    // 403 naming what is missing otherwise.
    unauthorizedError: (_parent, ctx, _info, result) => {
      const rule = ruleAskedFor(result.failure);
      return (
        (rule ? refusal(ctx.principal, rule) : null) ??
        (ctx.principal
          ? new ForbiddenError('Not authorized: this is not available to your credentials')
          : new UnauthenticatedError())
      );
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

/**
 * graphql-scalars' DateTime, answering its ISO text rather than the Date itself: the answer's
 * bytes are the same (JSON.stringify writes a Date by its toJSON, which is toISOString), but a
 * Date in the result takes JSON.stringify off its fast path for the whole page.
 */
const DateTime = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  serialize: (value) => {
    const serialized = DateTimeResolver.serialize(value);
    return serialized instanceof Date ? serialized.toISOString() : serialized;
  },
});

builder.addScalarType('DateTime', DateTime);

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
