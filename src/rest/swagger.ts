import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Route } from '../plugins/use-routes.ts';
import { openApiDocument } from './openapi.ts';

/** Files of swagger-ui-dist the page needs, served from our own server (no CDN). */
const assetTypes: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** Starts Swagger UI; a file of its own rather than an inline script, so a strict CSP can allow it. */
const initScript = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '/swagger/v1/swagger.json', dom_id: '#swagger-ui', deepLinking: true });
});
`;

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>GRC API – REST reference</title>
  <link rel="stylesheet" href="/swagger/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/swagger/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/swagger/assets/swagger-ui-bundle.js"></script>
  <script src="/swagger/assets/init.js"></script>
</body>
</html>
`;

const distDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const cache = new Map<string, Uint8Array<ArrayBuffer>>();

function asset(name: string): Uint8Array<ArrayBuffer> | undefined {
  if (name === 'init.js') return new TextEncoder().encode(initScript);
  if (!(name in assetTypes)) return undefined;
  let bytes = cache.get(name);
  if (!bytes) {
    bytes = new Uint8Array(readFileSync(join(distDir, name)));
    cache.set(name, bytes);
  }
  return bytes;
}

/**
 * The OpenAPI document at `/swagger/v1/swagger.json` and Swagger UI at
 * `/swagger`, describing `apiRoutes`. The server registers these only when
 * VIEW_APIS is true; otherwise the paths are unknown (404).
 */
export function swaggerRoutes(apiRoutes: Route[]): Route[] {
  const document = JSON.stringify(openApiDocument(apiRoutes));
  return [
    {
      path: '/swagger/v1/swagger.json',
      methods: {
        GET: () => new Response(document, { headers: { 'Content-Type': 'application/json; charset=utf-8' } }),
      },
    },
    {
      path: '/swagger',
      methods: { GET: () => new Response(page, { headers: { 'Content-Type': 'text/html; charset=utf-8' } }) },
    },
    {
      path: '/swagger/assets/{file}',
      methods: {
        GET: (_request, { file = '' }) => {
          const bytes = asset(file);
          if (!bytes) return new Response('Not found', { status: 404 });
          const type = file === 'init.js' ? 'text/javascript; charset=utf-8' : (assetTypes[file] ?? '');
          return new Response(bytes, { headers: { 'Content-Type': type, 'Cache-Control': 'public, max-age=86400' } });
        },
      },
    },
  ];
}
