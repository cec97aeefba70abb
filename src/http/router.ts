import type { Plugin } from 'graphql-yoga';
import { AppError, errorResponse, NotFoundError } from '../errors.ts';

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
  /** One line for the index at `GET /`, for routes without `docs`; routes with neither are not listed. */
  summary?: string;
  /**
   * Match the path's fixed segments whatever their case (for clients that
   * call `batchcreate` for `batchCreate`). @default false
   */
  caseInsensitive?: boolean;
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
  return { ...route, pattern: new RegExp(`^${source}/?$`, route.caseInsensitive ? 'i' : ''), names };
}

function allowed(route: Route): string {
  const methods = Object.keys(route.methods);
  if (methods.includes('GET')) methods.push('HEAD');
  return methods.join(', ');
}

export interface RoutesOptions {
  /** The path GraphQL answers; everything else that matches no route is a JSON 404. @default '/graphql' */
  graphqlEndpoint?: string;
}

/**
 * Serves plain HTTP routes before GraphQL handling. A known path with a
 * method it does not answer gets 405 with `Allow`; any other path but the
 * GraphQL endpoint gets a JSON 404 in the REST error shape.
 */
export function useRoutes(routes: Route[], { graphqlEndpoint = '/graphql' }: RoutesOptions = {}): Plugin {
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
            errorResponse(
              new AppError(`Method ${request.method} is not allowed here`, 'METHOD_NOT_ALLOWED', 405, {
                headers: { Allow: allowed(route) },
              }),
            ),
          );
          return;
        }
        let params: Record<string, string>;
        try {
          params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]));
        } catch {
          endResponse(errorResponse(new AppError('Malformed path', 'BAD_REQUEST', 400)));
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
      if (url.pathname !== graphqlEndpoint && url.pathname !== `${graphqlEndpoint}/`) {
        endResponse(errorResponse(new NotFoundError(`No such endpoint: ${request.method} ${url.pathname}`)));
      }
    },
  };
}

/**
 * The metrics label of a path: the pattern of the route it matches
 * (`/api/issues/{id}`), `/graphql`, or `other`, so that the number of
 * label values is bounded by the route table, whatever paths clients send.
 */
export function routeLabeler(routes: Route[], fixed: string[] = ['/graphql']): (pathname: string) => string {
  const compiled = routes.map(compile);
  const known = new Set(fixed);
  return (pathname) => {
    if (known.has(pathname)) return pathname;
    return compiled.find((route) => route.pattern.test(pathname))?.path ?? 'other';
  };
}
