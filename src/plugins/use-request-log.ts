import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.ts';
import { type Metrics, routeOf } from '../metrics.ts';

interface RequestFacts {
  id: string;
  at: number;
  /** The GraphQL operation name, once known. */
  operation?: string;
  /** Who made the request (`user:<id>` or `service-account:<id>`), once authenticated. */
  actor?: string;
}

const facts = new WeakMap<Request, RequestFacts>();
const acceptedId = /^[\w.:-]{1,128}$/;

function factsOf(request: Request): RequestFacts {
  let entry = facts.get(request);
  if (!entry) {
    const given = request.headers.get('x-request-id');
    entry = { id: given && acceptedId.test(given) ? given : randomUUID(), at: performance.now() };
    facts.set(request, entry);
  }
  return entry;
}

/** The id of a request: the caller's `X-Request-Id` when well-formed, else a new UUID. */
export function requestIdOf(request: Request): string {
  return factsOf(request).id;
}

/** Records who made a request, for its log line. */
export function setActor(request: Request, actor: string): void {
  factsOf(request).actor = actor;
}

export interface RequestLogOptions {
  log: Logger;
  metrics?: Metrics;
}

/**
 * Gives every request an id (echoed in `X-Request-Id`) and writes one JSON
 * line per answered request: request id, method, path, GraphQL operation,
 * actor, status and duration; and counts it in the metrics. Never the query
 * string values, headers or body, which may hold secrets.
 */
export function useRequestLog({ log, metrics }: RequestLogOptions): Plugin {
  return {
    onRequest({ request }) {
      factsOf(request);
    },
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
