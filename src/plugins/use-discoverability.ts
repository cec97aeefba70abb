import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Rewrites a validation message so it names no type and suggests nothing:
 * `Cannot query field "x" on type "Query". Did you mean "y"?` becomes
 * `Cannot query field "x".`
 */
export function withoutSchemaHints(message: string): string {
  return message
    .replace(/ Did you mean .*$/s, '')
    .replace(/ on type "[^"]*"/g, '')
    .replace(/ on field "[^"]*"/g, '')
    .replace(/ of (?:required )?type "[^"]*"/g, '')
    .replace(/ (?:for|to) type "[^"]*"/g, '')
    .replace(/ used in position expecting type "[^"]*"/g, ' used in a position of another type')
    .replace(/ does not exist in "[^"]*" enum/g, ' does not exist in the enum')
    .replace(/Unknown type "[^"]*"/g, 'Unknown type')
    .replace(/Expected type "[^"]*"/g, 'Expected another type')
    .replace(/"[A-Za-z_][\w]*\.[A-Za-z_]\w*"/g, 'a field')
    .replace(/type "[^"]*"/g, 'a type');
}

function scrub(errors: readonly GraphQLError[]): GraphQLError[] {
  return errors.map(
    (error) =>
      new GraphQLError(withoutSchemaHints(error.message), {
        nodes: error.nodes,
        extensions: { ...error.extensions, code: error.extensions?.code ?? 'GRAPHQL_VALIDATION_FAILED' },
      }),
  );
}

/**
 * An execution error without schema hints: the same error when its message has none, else a
 * copy with everything but the message (not the error rewritten in place: it may be shared, or
 * its message not writable).
 */
function withoutHints(error: GraphQLError): GraphQLError {
  const message = withoutSchemaHints(error.message);
  if (message === error.message) return error;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

/**
 * With VIEW_APIS=false the endpoint gives no schema hints at all:
 * introspection (`__schema`, `__type`, wherever they appear, aliased or in
 * fragments) is refused, and validation errors lose type names and "Did
 * you mean" suggestions. `__typename` stays: clients need it.
 */
export function useDiscoverability(): Plugin[] {
  return [
    useDisableIntrospection() as Plugin,
    {
      // No GraphiQL page: a browser asking for one gets a plain 404.
      onRequest({ request, url, endResponse }) {
        if (
          url.pathname === '/graphql' &&
          request.method === 'GET' &&
          request.headers.get('accept')?.includes('text/html')
        ) {
          endResponse(
            new Response('Not found', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } }),
          );
        }
      },
      onValidate() {
        return ({ result, setResult }) => {
          if (result.length > 0) setResult(scrub(result as readonly GraphQLError[]));
        };
      },
      onExecute() {
        return {
          onExecuteDone({ result, setResult }) {
            // Variable coercion errors name input types too.
            if ('errors' in result && result.errors?.length) {
              setResult({
                ...result,
                errors: result.errors.map(withoutHints),
              });
            }
          },
        };
      },
    },
  ];
}
