import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Route } from '../http/router.ts';
import { openApiDocumentPath, openApiRoute } from './openapi.ts';

/**
 * Starts Swagger UI on the document the page names. A file of its own
 * rather than an inline script, so that the page's CSP needs no
 * `'unsafe-inline'`. `validatorUrl: null` keeps Swagger UI from calling the
 * public validator service: the page talks to this server only.
 */
const initScript = `window.addEventListener('load', function () {
  var root = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({ url: root.dataset.url, domNode: root, deepLinking: true, validatorUrl: null });
});
`;

interface Asset {
  path: string;
  body: Uint8Array<ArrayBuffer>;
  type: string;
  /** Of the content: the page links `path?v=<hash>`, so a new release gets new URLs. */
  hash: string;
}

function asset(name: string, body: Uint8Array<ArrayBuffer>, type: string): Asset {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  return { path: `/swagger/assets/${name}`, body, type, hash };
}

/** Read on first use, once per process: a server with VIEW_APIS false never reads them. */
let loaded: { assets: Asset[]; page: string } | undefined;

function load(): { assets: Asset[]; page: string } {
  if (loaded) return loaded;
  // The package's folder, found from its package.json (its `main` would load the whole bundle into Node).
  const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const file = (name: string, type: string) => asset(name, new Uint8Array(readFileSync(join(dist, name))), type);
  const css = file('swagger-ui.css', 'text/css; charset=utf-8');
  const bundle = file('swagger-ui-bundle.js', 'text/javascript; charset=utf-8');
  const favicon = file('favicon-32x32.png', 'image/png');
  const init = asset('init.js', new TextEncoder().encode(initScript), 'text/javascript; charset=utf-8');
  const href = (a: Asset) => `${a.path}?v=${a.hash}`;
  const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>GRC API – REST reference</title>
  <link rel="stylesheet" href="${href(css)}">
  <link rel="icon" type="image/png" href="${href(favicon)}">
</head>
<body>
  <div id="swagger-ui" data-url="${openApiDocumentPath}"></div>
  <noscript>Swagger UI needs JavaScript. The OpenAPI document is at <a href="${openApiDocumentPath}">${openApiDocumentPath}</a>.</noscript>
  <script src="${href(bundle)}"></script>
  <script src="${href(init)}"></script>
</body>
</html>
`;
  loaded = { assets: [css, bundle, favicon, init], page };
  return loaded;
}

/** Whether an `If-None-Match` header names this entity tag (or any, `*`). */
function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

/**
 * Answers an asset. At the versioned URL the page links, it may be cached
 * for good (the URL changes with the content); at any other, the client
 * must revalidate, which the entity tag makes a 304.
 */
function serveAsset(asset: Asset, request: Request): Response {
  const etag = `"${asset.hash}"`;
  const versioned = new URL(request.url).searchParams.get('v') === asset.hash;
  const headers = {
    'Content-Type': asset.type,
    'Cache-Control': versioned ? 'public, max-age=31536000, immutable' : 'no-cache',
    ETag: etag,
  };
  if (matches(request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });
  return new Response(asset.body, { headers });
}

/**
 * The OpenAPI document at `/swagger/v1/swagger.json` and Swagger UI at
 * `/swagger`, describing `apiRoutes`. The server registers these only when
 * VIEW_APIS is true; otherwise their paths are unknown (a plain 404). Each
 * asset is a route of its own, so an unknown file name is a plain 404 too.
 */
export function swaggerRoutes(apiRoutes: Route[]): Route[] {
  const { assets, page } = load();
  return [
    openApiRoute(apiRoutes),
    {
      path: '/swagger',
      summary: 'Swagger UI for the REST API',
      methods: {
        // The page names the assets' current versions: revalidated on each visit.
        GET: () =>
          new Response(page, { headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' } }),
      },
    },
    ...assets.map((asset) => ({
      path: asset.path,
      methods: { GET: (request: Request) => serveAsset(asset, request) },
    })),
  ];
}
