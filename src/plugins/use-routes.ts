import type { Plugin } from 'graphql-yoga';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * An OpenAPI 3.1 Operation Object, written beside the handler it describes.
 * The fields are named so that a misspelt one fails to compile; their
 * contents (schemas, parameters) stay plain OpenAPI JSON.
 */
export interface OperationDoc {
  /** Unique across the document; client generators name their functions after it. */
  operationId?: string;
  tags?: string[];
  summary: string;
  description?: string;
  parameters?: Record<string, unknown>[];
  requestBody?: Record<string, unknown>;
  /** By status code (`'200'`, `'4XX'`) or `default`. */
  responses: Record<string, Record<string, unknown>>;
  /** Security requirements; absent means none (anonymous callers are answered). */
  security?: Record<string, string[]>[];
  deprecated?: boolean;
  /** OpenAPI specification extensions. */
  [extension: `x-${string}`]: unknown;
}

/** A plain HTTP endpoint served beside `/graphql`. */
export interface Route {
  /** The path, with `{name}` placeholders for one path segment each. */
  path: string;
  /** Methods the route answers; HEAD is implied by GET. */
  methods: Partial<Record<Method, (request: Request, params: Record<string, string>) => Promise<Response> | Response>>;
  /**
   * The OpenAPI description of each method, for routes of the public API.
   * The published document is built from these, so it cannot drift.
   */
  docs?: Partial<Record<Method, OperationDoc>>;
}

interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const m = /^\{(\w+)\}$/.exec(segment);
      if (!m?.[1]) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]);
      return '([^/]+)';
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^${source}/?$`), names };
}

function allowed(route: Route): string {
  const methods = Object.keys(route.methods);
  if (methods.includes('GET')) methods.push('HEAD');
  return methods.join(', ');
}

export interface RoutesOptions {
  /** Paths under this prefix that match no route answer a JSON 404. @default '/api/' */
  jsonNotFoundPrefix?: string;
}

/**
 * Serves plain HTTP routes before GraphQL handling. A known path with a
 * method it does not answer gets 405 with `Allow`; an unknown path under
 * the REST prefix gets a JSON 404 in the REST error shape.
 */
export function useRoutes(routes: Route[], { jsonNotFoundPrefix = '/api/' }: RoutesOptions = {}): Plugin {
  const compiled = routes.map(compile);
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      for (const route of compiled) {
        const match = route.pattern.exec(url.pathname);
        if (!match) continue;
        const method = (request.method === 'HEAD' ? 'GET' : request.method) as Method;
        const handler = route.methods[method];
        if (!handler) {
          endResponse(
            fetchAPI.Response.json(
              { error: { code: 'METHOD_NOT_ALLOWED', message: `Method ${request.method} is not allowed here` } },
              { status: 405, headers: { Allow: allowed(route) } },
            ),
          );
          return;
        }
        let params: Record<string, string>;
        try {
          params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]));
        } catch {
          endResponse(
            fetchAPI.Response.json({ error: { code: 'BAD_REQUEST', message: 'Malformed path' } }, { status: 400 }),
          );
          return;
        }
        const response = await handler(request, params);
        if (request.method === 'HEAD') {
          // The same status and headers, without producing (or streaming) the body.
          await response.body?.cancel();
          endResponse(new fetchAPI.Response(null, { status: response.status, headers: response.headers }));
          return;
        }
        endResponse(response);
        return;
      }
      if (url.pathname.startsWith(jsonNotFoundPrefix)) {
        endResponse(
          fetchAPI.Response.json(
            { error: { code: 'NOT_FOUND', message: `No such endpoint: ${request.method} ${url.pathname}` } },
            { status: 404 },
          ),
        );
      }
    },
  };
}
