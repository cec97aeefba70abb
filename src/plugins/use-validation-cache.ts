import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Remembers each document's validation errors (none, for a valid one) by the document object,
 * which yoga's parse cache hands out again for the same text: a document is validated once,
 * not once per request. It stands in for yoga's own validation cache (set
 * `parserAndValidationCache.validationCache` to false beside it), which keys its results by the
 * names of the request's rules, joined into one string and looked up in an LRU cache on every
 * request: about 600 characters made and hashed, with a clock read, for each query (2 % of the
 * CPU of `{ version }`).
 *
 * A result holds for every request only because every rule this server's plugins add is added
 * to every request alike (graphql-js's rules, armor's limits and cost, the introspection rule
 * when contracts are not published): results are kept apart by the schema and by how many
 * rules the request has, so a plugin that adds a rule to some requests only gets results of
 * its own for them. Must be the last plugin with an `onValidate` hook: it keeps the errors as
 * the other plugins' hooks leave them, as yoga's cache (the last of all plugins) did.
 */
export function useValidationCache(): Plugin {
  const results = new WeakMap<GraphQLSchema, Map<number, WeakMap<DocumentNode, readonly Error[]>>>();
  return {
    onValidate({ params: { schema, documentAST, rules }, setResult }) {
      let byRules = results.get(schema);
      if (byRules === undefined) {
        byRules = new Map();
        results.set(schema, byRules);
      }
      const count = rules?.length ?? 0;
      let byDocument = byRules.get(count);
      if (byDocument === undefined) {
        byDocument = new WeakMap();
        byRules.set(count, byDocument);
      }
      const cached = byDocument.get(documentAST);
      if (cached !== undefined) {
        setResult(cached);
        return undefined;
      }
      return ({ result }) => {
        byDocument.set(documentAST, result);
      };
    },
  };
}
