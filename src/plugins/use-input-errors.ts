import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** graphql-js words variable coercion failures so; the path names the field. */
const variableError = /^Variable "\$(\w+)"(?: got invalid value .*? at "([\w.[\]]+)")?/s;

function withCode(error: GraphQLError): GraphQLError {
  if (error.extensions?.code) return error;
  const match = variableError.exec(error.message);
  if (!match) return error;
  const field = (match[2] ?? match[1] ?? '').replace(/\[\d+\]/g, '');
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT', field, http: { status: 400 } },
  });
}

/**
 * Gives variable coercion errors (`$input.durationDays` given 1.5, a
 * required variable missing) the `BAD_USER_INPUT` code and the field, like
 * the errors our own validation raises: clients handle one shape.
 */
export function useInputErrors(): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) || !result.errors?.length) return;
          setResult({ ...result, errors: result.errors.map(withCode) });
        },
      };
    },
  };
}
