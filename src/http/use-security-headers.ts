import type { Plugin } from 'graphql-yoga';

const base = "frame-ancestors 'none'; base-uri 'none'";

/**
 * Content security policies: nothing at all for API answers; what GraphiQL
 * needs (it inlines its scripts and starts its editor workers from blobs);
 * what Swagger UI needs (scripts from this origin, inline styles).
 */
export const contentSecurityPolicy = {
  api: `default-src 'none'; ${base}`,
  graphiql: `default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; form-action 'self'; ${base}`,
  swagger: `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'none'; ${base}`,
} as const;

/** Which policy a response needs, by its request and content type; API answers get the strictest. */
export type PolicyFor = (request: Request, contentType: string) => string;

const defaultPolicyFor: PolicyFor = (request, contentType) => {
  // Most answers are JSON: their policy needs no parsed URL.
  if (!contentType.startsWith('text/html')) return contentSecurityPolicy.api;
  const { pathname } = new URL(request.url);
  if (pathname === '/graphql') return contentSecurityPolicy.graphiql;
  if (pathname.startsWith('/swagger')) return contentSecurityPolicy.swagger;
  return contentSecurityPolicy.api;
};

/**
 * Security headers on every response: no MIME sniffing, no framing, no
 * referrer, same-origin isolation, and a content security policy per page.
 */
export function useSecurityHeaders(policyFor: PolicyFor = defaultPolicyFor): Plugin {
  return {
    onResponse({ request, response }) {
      const headers = response.headers;
      headers.set('X-Content-Type-Options', 'nosniff');
      headers.set('X-Frame-Options', 'DENY');
      headers.set('Referrer-Policy', 'no-referrer');
      headers.set('Cross-Origin-Opener-Policy', 'same-origin');
      headers.set('Cross-Origin-Resource-Policy', 'same-origin');
      headers.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
      if (!headers.has('Content-Security-Policy')) {
        headers.set('Content-Security-Policy', policyFor(request, headers.get('content-type') ?? ''));
      }
    },
  };
}
