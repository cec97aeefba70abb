import { useCSRFPrevention as useYogaCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { Plugin } from 'graphql-yoga';

export interface CSRFPreventionOptions {
  /** Headers any of which marks a POST with a form or text body as not forged. @default ['x-graphql-yoga-csrf'] */
  requestHeaders?: string[];
}

/**
 * Yoga's CSRF prevention, for requests that can change something: a POST
 * with a form or text content type (a "simple" request a browser sends
 * cross-site without preflight) must carry one of `requestHeaders`.
 *
 * GET and HEAD requests are not asked for it, so that clients such as urql
 * (which send queries as GET without a content type) work unchanged. That
 * is safe here because (1) yoga refuses a mutation over GET (405), so a GET
 * runs queries only, and (2) the API authenticates by bearer token alone,
 * never by cookie: a forged cross-site GET carries no credentials, and runs
 * as anonymous, which reads nothing but the server's `version`; nor can
 * the forging page read the answer without CORS. Mutations (login among
 * them) come by POST, and keep the check.
 */
export function useCSRFPrevention({ requestHeaders = ['x-graphql-yoga-csrf'] }: CSRFPreventionOptions = {}): Plugin {
  const inner = useYogaCSRFPrevention({ requestHeaders });
  return {
    onRequestParse(payload) {
      const method = payload.request.method;
      if (method === 'GET' || method === 'HEAD') return;
      return inner.onRequestParse?.(payload);
    },
  };
}
