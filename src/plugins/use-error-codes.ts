import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { RequestContext } from '../context.ts';
import { isDatabaseUnavailable } from '../db/errors.ts';
import { AppError, ServiceUnavailableError } from '../errors.ts';

/** graphql-js words variable coercion failures so; the path names the field. */
const variableError = /^Variable "\$(\w+)"(?: got invalid value .*? at "([\w.[\]]+)")?/s;

/** A generic error for the client; the details go to the log under the request id. */
export function unexpectedError(requestId: string): GraphQLError {
  return new GraphQLError(`Unexpected error (request id ${requestId})`, {
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId, http: { status: 500 } },
  });
}

function shape(error: GraphQLError, ctx: RequestContext): GraphQLError {
  const original = error.originalError;
  if (original && !(original instanceof GraphQLError)) {
    if (isDatabaseUnavailable(original)) {
      ctx.log.warn({ err: original.message }, 'database unavailable');
      const unavailable = new ServiceUnavailableError();
      return new GraphQLError(unavailable.message, {
        nodes: error.nodes,
        path: error.path,
        extensions: unavailable.extensions,
      });
    }
    ctx.log.error({ err: original, path: error.path }, 'unexpected error');
    return unexpectedError(ctx.requestId);
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

/**
 * Every GraphQL error leaves with an `extensions.code`: variable coercion
 * failures become BAD_USER_INPUT with the field, like our own validation;
 * an unreachable database becomes SERVICE_UNAVAILABLE (503); anything else
 * unexpected becomes a generic message carrying the request id, the details
 * logged, never sent.
 */
export function useErrorCodes(): Plugin<RequestContext> {
  return {
    onExecute({ args }) {
      const ctx = args.contextValue as RequestContext;
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) || !result.errors?.length) return;
          setResult({ ...result, errors: result.errors.map((e) => shape(e, ctx)) });
        },
      };
    },
  };
}
