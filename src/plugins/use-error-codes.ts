import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { auditForbidden } from '../audit/refusals.ts';
import type { RequestContext } from '../context.ts';
import { AppError, type ErrorCode, toAppError } from '../errors.ts';

/** graphql-js words variable coercion failures so; the path names the field. */
const variableError = /^Variable "\$(\w+)"(?: got invalid value .*? at "([\w.[\]]+)")?/s;

function shape(error: GraphQLError, ctx: RequestContext): GraphQLError {
  const original = error.originalError;
  if (original && !(original instanceof GraphQLError)) {
    const answer = toAppError(original, ctx.requestId, ctx.log);
    return new GraphQLError(answer.message, { nodes: error.nodes, path: error.path, extensions: answer.extensions });
  }
  if (original instanceof AppError || error.extensions?.code) return error;
  const match = variableError.exec(error.message);
  if (!match) return error;
  const field = (match[2] ?? match[1] ?? '').replace(/\[\d+\]/g, '');
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT', field, http: { status: 400 } },
  });
}

/** Codes for the errors yoga and graphql-armor raise without one, by message. */
const knownMessages: [RegExp, ErrorCode, number][] = [
  [/CSRF/i, 'CSRF_PREVENTED', 403],
  [/subscription/i, 'OPERATION_NOT_SUPPORTED', 400],
  [/^(Syntax Error: )?(Query too (deep|large|costly)|Too many (aliases|directives))/, 'GRAPHQL_VALIDATION_FAILED', 400],
];

type ErrorJson = { message: string; extensions?: Record<string, unknown> };

/** Gives a serialised error a code and drops internals (`originalError`). */
function finish(error: ErrorJson): ErrorJson {
  const { originalError: _dropped, ...extensions } = error.extensions ?? {};
  if (extensions.code) return { ...error, extensions };
  const [, code, status] = knownMessages.find(([pattern]) => pattern.test(error.message)) ?? [null, 'BAD_REQUEST', 400];
  return { ...error, extensions: { ...extensions, code, http: { status, ...(extensions.http as object) } } };
}

/**
 * Every GraphQL error leaves with an `extensions.code`: variable coercion
 * failures become BAD_USER_INPUT with the field, like our own validation;
 * an unreachable database becomes SERVICE_UNAVAILABLE (503); anything else
 * unexpected becomes a generic message carrying the request id, the details
 * logged, never sent.
 */
export function useErrorCodes(): Plugin<RequestContext> {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result)) return;
      const errors = (result as { errors?: readonly GraphQLError[] }).errors;
      if (!errors?.length) return;
      setResult({
        ...result,
        errors: errors.map((e) => {
          const json = (typeof e.toJSON === 'function' ? e.toJSON() : e) as ErrorJson;
          return new GraphQLError(json.message, {
            nodes: e.nodes,
            source: e.source,
            positions: e.positions,
            path: e.path,
            extensions: finish(json).extensions,
          });
        }),
      });
    },
    onExecute({ args }) {
      const ctx = args.contextValue as RequestContext;
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) || !result.errors?.length) return;
          const errors = result.errors.map((e) => shape(e, ctx));
          for (const e of errors) {
            if (e.extensions?.code === 'FORBIDDEN')
              auditForbidden(ctx, `graphql:${e.path?.join('.') ?? '?'}`, e.message);
          }
          setResult({ ...result, errors });
        },
      };
    },
  };
}
