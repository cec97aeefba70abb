import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.ts';
import type { Metrics } from './metrics.ts';
import { factsOf } from './request-facts.ts';

export interface RequestLogOptions {
  log: Logger;
  metrics?: Metrics;
  /** The metrics label of a path (see `routeLabeler`). @default every path is `other` */
  routeOf?: (pathname: string) => string;
}

/**
 * Echoes every request's id in `X-Request-Id` and writes one JSON line per
 * answered request: request id, method, path, GraphQL operation, actor,
 * status and duration; and counts it in the metrics. Never the query
 * string values, headers or body, which may hold secrets.
 */
export function useRequestLog({ log, metrics, routeOf = () => 'other' }: RequestLogOptions): Plugin {
  return {
    onParams({ request, params }) {
      // Both come from the client: anything but a string is ignored here (yoga refuses it later).
      const named = typeof params.operationName === 'string' ? params.operationName : undefined;
      const query = typeof params.query === 'string' ? params.query : '';
      const operation = named ?? /^\s*(?:query|mutation|subscription)\s+(\w+)/.exec(query)?.[1];
      factsOf(request).operation = operation ? operation.slice(0, 100) : 'anonymous';
    },
    onResponse({ request, response }) {
      const entry = factsOf(request);
      response.headers.set('X-Request-Id', entry.id);
      const seconds = (performance.now() - entry.at) / 1000;
      const path = new URL(request.url).pathname;
      const status = response.status;
      log.info(
        {
          requestId: entry.id,
          method: request.method,
          path,
          operation: entry.operation,
          actor: entry.actor,
          status,
          durationMs: Math.round(seconds * 10_000) / 10,
        },
        'request',
      );
      if (metrics) {
        const route = routeOf(path);
        const operation = entry.operation ?? '-';
        metrics.requests.inc({ method: request.method, route, operation, status });
        metrics.duration.observe({ route, operation, status }, seconds);
      }
    },
  };
}
