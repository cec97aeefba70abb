import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import {
  css,
  editorWorkerService,
  favicon,
  graphqlWorker,
  js,
  jsonWorker,
} from '@graphql-yoga/render-graphiql/graphiql';
import type { Route } from './router.ts';

/** An asset, compressed once, on first use. */
interface Asset {
  type: string;
  body: Buffer;
  br?: Buffer;
  gzip?: Buffer;
}

const sources: Record<string, { type: string; body: () => Buffer }> = {
  'graphiql.js': { type: 'text/javascript; charset=utf-8', body: () => Buffer.from(js) },
  'graphiql.css': { type: 'text/css; charset=utf-8', body: () => Buffer.from(css) },
  'editor.worker.js': { type: 'text/javascript; charset=utf-8', body: () => Buffer.from(editorWorkerService) },
  'json.worker.js': { type: 'text/javascript; charset=utf-8', body: () => Buffer.from(jsonWorker) },
  'graphql.worker.js': { type: 'text/javascript; charset=utf-8', body: () => Buffer.from(graphqlWorker) },
  'favicon.ico': {
    type: 'image/x-icon',
    body: () => Buffer.from(favicon.slice(favicon.indexOf(',') + 1), 'base64'),
  },
};

/** The assets' folder, named after their content, so that each may be cached for good. */
const prefix = `/graphiql/${createHash('sha256').update(js).update(css).digest('base64url').slice(0, 12)}/`;
const loaded = new Map<string, Asset>();

function asset(name: string): Asset | undefined {
  const source = sources[name];
  if (!source) return undefined;
  let entry = loaded.get(name);
  if (!entry) {
    entry = { type: source.type, body: source.body() };
    loaded.set(name, entry);
  }
  return entry;
}

/** The encoding to answer in: br, then gzip, when the client accepts it (q=0 refuses). */
export function acceptedEncoding(header: string | null): 'br' | 'gzip' | null {
  if (!header) return null;
  const accepted = new Set(
    header
      .split(',')
      .map((part) => part.trim().toLowerCase().split(';'))
      .filter(([, q]) => !q || !/^\s*q=0(\.0+)?\s*$/.test(q))
      .map(([name]) => name),
  );
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  return null;
}

function answer(request: Request, entry: Asset): Response {
  const encoding = acceptedEncoding(request.headers.get('accept-encoding'));
  let body = entry.body;
  if (encoding === 'br') {
    entry.br ??= brotliCompressSync(entry.body, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } });
    body = entry.br;
  } else if (encoding === 'gzip') {
    entry.gzip ??= gzipSync(entry.body, { level: 9 });
    body = entry.gzip;
  }
  return new Response(new Uint8Array(body), {
    headers: {
      'Content-Type': entry.type,
      'Cache-Control': 'public, max-age=31536000, immutable',
      Vary: 'Accept-Encoding',
      ...(encoding ? { 'Content-Encoding': encoding } : {}),
    },
  });
}

/**
 * GraphiQL's page, small: its script, styles, editor workers and icon are separate files under
 * {@link graphiqlRoutes}, each cached by the browser for good (their folder is named after
 * their content) and sent compressed when the browser accepts it.
 */
export function renderGraphiQL(options: Record<string, unknown> = {}): string {
  const scriptSafe = (text: string) => text.replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${String(options.title ?? 'GraphiQL').replace(/[<&"]/g, '')}</title>
    <link rel="icon" href="${prefix}favicon.ico" />
    <link rel="stylesheet" href="${prefix}graphiql.css" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script src="${prefix}graphiql.js"></script>
    <script>
      self.MonacoEnvironment = {
        globalAPI: false,
        getWorkerUrl: function (moduleId, label) {
          return ${JSON.stringify(prefix)} + (label === 'json' || label === 'graphql' ? label : 'editor') + '.worker.js';
        },
      };
      YogaGraphiQL.renderYogaGraphiQL(window.document.querySelector('#root'), ${scriptSafe(JSON.stringify(options))});
    </script>
  </body>
</html>
`;
}

/** GraphiQL's assets (served only where GraphiQL is: VIEW_APIS=true). */
export function graphiqlRoutes(): Route[] {
  return [
    {
      path: `${prefix}{name}`,
      methods: {
        GET: (request, { name }) => {
          const entry = asset(name ?? '');
          return entry ? answer(request, entry) : new Response(null, { status: 404 });
        },
      },
    },
  ];
}
