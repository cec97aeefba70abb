import { readFileSync } from 'node:fs';
import type { Route } from '../http/router.ts';

/** The console's own policy: its files from this origin, API calls to this origin, nothing else. */
export const adminContentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const files: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'operations.js': 'text/javascript; charset=utf-8',
  'audit.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'create.js': 'text/javascript; charset=utf-8',
  'sessions.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

const cache = new Map<string, string>();
function read(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./public/${name}`, import.meta.url), 'utf8');
    cache.set(name, text);
  }
  return text;
}

function serve(name: string): Response {
  return new Response(read(name), {
    headers: {
      'Content-Type': files[name] ?? 'application/octet-stream',
      'Content-Security-Policy': adminContentSecurityPolicy,
      // Small, and changed with each release: always revalidate.
      'Cache-Control': 'no-cache',
    },
  });
}

/**
 * The administration console at `/admin`: static files of an application
 * that talks to `/graphql` only. It is served whatever VIEW_APIS says (it is
 * an application, not API documentation) and needs a sign-in to do anything.
 */
export function adminRoutes(): Route[] {
  return [
    {
      path: '/admin',
      summary: 'The administration console (in a browser)',
      methods: { GET: () => serve('index.html') },
    },
    {
      path: '/admin/{file}',
      methods: {
        GET: (_request, { file = '' }) =>
          file in files
            ? serve(file)
            : new Response('Not found', { status: 404, headers: { 'Content-Type': 'text/plain' } }),
      },
    },
  ];
}
