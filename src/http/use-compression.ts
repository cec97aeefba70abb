import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { acceptedEncoding } from './graphiql.ts';

export interface CompressionOptions {
  /**
   * Paths whose answers are never compressed: they carry secrets (tokens) beside what the
   * caller sent, the mix that BREACH-style attacks read through compressed sizes.
   * @default ['/api/authentication/', '/api/sessions']
   */
  secretPaths?: string[];
  /**
   * Answers of a known length below this many bytes are sent as they are: compressing them
   * costs a stream and a pipeline for no gain (a small JSON answer comes out no shorter).
   * @default 1024
   */
  minBytes?: number;
}

const compressible = /^(application\/(json|graphql-response\+json)|text\/)/;
/** GraphQL requests that ran a mutation (their answers may carry tokens: never compressed). */
const mutations = new WeakSet<Request>();

/**
 * Compresses answers (br, else gzip) when the client accepts it: REST reads, the getAll
 * stream, GraphQL query answers, when not known to be shorter than `minBytes`. Never a
 * mutation's answer, nor the sign-in and session routes, nor a response that is already
 * encoded: those may carry a token beside text the caller chose, and compression would let its
 * length leak it (BREACH). Bearer tokens are not
 * sent by browsers on their own, which takes away the usual cross-site attacker, but the rule
 * costs nothing to keep.
 */
export function useCompression({
  secretPaths = ['/api/authentication/', '/api/sessions'],
  minBytes = 1024,
}: CompressionOptions = {}): Plugin {
  return {
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (request && getOperationAST(args.document, args.operationName)?.operation !== 'query') mutations.add(request);
    },
    onResponse({ request, response, setResponse, fetchAPI }) {
      // The answer's own headers first: most answers are short JSON, which no encoding would shorten.
      if (!response.body || response.headers.has('content-encoding')) return;
      const length = response.headers.get('content-length');
      if (length !== null && Number(length) < minBytes) return;
      if (!compressible.test(response.headers.get('content-type') ?? '')) return;
      const encoding = acceptedEncoding(request.headers.get('accept-encoding'));
      if (!encoding || mutations.has(request)) return;
      const path = new URL(request.url).pathname;
      if (secretPaths.some((p) => path.startsWith(p))) return;
      // Node's CompressionStream knows br only from Node 22 on: gzip before that.
      const format = encoding === 'br' && brSupported ? 'br' : 'gzip';
      // Yoga's own answers are whatwg-node's streams, the REST routes' Node's own: each with its kind.
      const api = response.body instanceof ReadableStream ? globalThis : fetchAPI;
      const headers = new api.Headers(response.headers);
      headers.set('Content-Encoding', format);
      headers.append('Vary', 'Accept-Encoding');
      headers.delete('Content-Length');
      const stream = new api.CompressionStream(format as CompressionFormat);
      setResponse(new api.Response(response.body.pipeThrough(stream), { status: response.status, headers }));
    },
  };
}

const brSupported = (() => {
  try {
    new CompressionStream('br' as CompressionFormat);
    return true;
  } catch {
    return false;
  }
})();
