import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Route } from '../http/router.ts';

/**
 * The console is Preact with htm (tagged templates, no build step), vendored
 * from node_modules and served from this origin like Swagger UI. The one
 * bare import among them (`preact/hooks` imports `preact`) is resolved by
 * an import map inline in the page, allowed by its hash alone.
 */
const vendor: Record<string, string> = {
  'preact.js': 'preact',
  'hooks.js': 'preact/hooks',
  'htm.js': 'htm',
};

const importMap = JSON.stringify({
  imports: Object.fromEntries(Object.entries(vendor).map(([file, specifier]) => [specifier, `/admin/vendor/${file}`])),
});
const importMapHash = createHash('sha256').update(importMap).digest('base64');

/** The console's own policy: its files from this origin, API calls to this origin, nothing else. */
export const adminContentSecurityPolicy = `default-src 'none'; script-src 'self' 'sha256-${importMapHash}'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

const types: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};
const typeOf = (name: string) => types[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream';

/** Every file the console serves, read once on first use: its own (public/) and the vendored ones. */
let loaded: Map<string, string> | undefined;
function files(): Map<string, string> {
  if (loaded) return loaded;
  const map = new Map<string, string>();
  const publicDir = new URL('./public/', import.meta.url);
  for (const name of readdirSync(publicDir)) map.set(name, readFileSync(new URL(name, publicDir), 'utf8'));
  map.set(
    'index.html',
    (map.get('index.html') ?? '').replace(
      '<script type="importmap">{"imports":{}}</script>',
      `<script type="importmap">${importMap}</script>`,
    ),
  );
  for (const [file, specifier] of Object.entries(vendor)) {
    // The source map is not shipped: its comment would send DevTools asking for it.
    const text = readFileSync(fileURLToPath(import.meta.resolve(specifier)), 'utf8');
    map.set(`vendor/${file}`, text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
  }
  loaded = map;
  return map;
}

function serve(name: string): Response {
  const text = files().get(name);
  if (text === undefined) {
    return new Response('Not found', { status: 404, headers: { 'Content-Type': 'text/plain' } });
  }
  return new Response(text, {
    headers: {
      'Content-Type': typeOf(name),
      'Content-Security-Policy': adminContentSecurityPolicy,
      // Small, and changed with each release: always revalidate.
      'Cache-Control': 'no-cache',
    },
  });
}

/**
 * The administration console at `/admin`: static files of an application
 * that talks to `/graphql` (and the REST audit export) only. It is served
 * whatever VIEW_APIS says (it is an application, not API documentation)
 * and needs a sign-in to do anything.
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
      methods: { GET: (_request, { file = '' }) => serve(file) },
    },
    {
      path: '/admin/vendor/{file}',
      methods: { GET: (_request, { file = '' }) => serve(`vendor/${file}`) },
    },
  ];
}
