import { RequestCache } from '@pothos/plugin-scope-auth';
import type { Plugin } from 'graphql-yoga';

/**
 * Drops Pothos scope-auth's per-request cache (its scopes and their answers) as soon as the
 * operation has run. scope-auth keeps it in a WeakMap keyed by the context, and a WeakMap entry
 * whose key dies young is dear to the garbage collector (an ephemeron: about 4 µs of GC per
 * request for `{ me }`, more than the whole execution); deleted, it costs next to nothing. A
 * resolver that runs later (an incremental result) only builds a new cache, so no scope is
 * ever skipped.
 */
export function useScopeCacheRelease(): Plugin {
  return {
    onExecute({ args }) {
      const release = () => RequestCache.clearForContext(args.contextValue as object);
      return {
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in Object(result)) return { onEnd: release };
          release();
          return undefined;
        },
      };
    },
  };
}
