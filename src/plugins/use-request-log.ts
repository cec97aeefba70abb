import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.ts';

const started = new WeakMap<Request, { id: string; at: number }>();
const acceptedId = /^[\w.:-]{1,128}$/;

/** The id of a request: the caller's `X-Request-Id` when well-formed, else a new UUID. */
export function requestIdOf(request: Request): string {
  let entry = started.get(request);
  if (!entry) {
    const given = request.headers.get('x-request-id');
    entry = { id: given && acceptedId.test(given) ? given : randomUUID(), at: performance.now() };
    started.set(request, entry);
  }
  return entry.id;
}

export interface RequestLogOptions {
  log: Logger;
}

/**
 * Gives every request an id (echoed in `X-Request-Id`) and writes one JSON
 * line per answered request: method, path, status, duration. Never the
 * query string values, headers or body, which may hold secrets.
 */
export function useRequestLog({ log }: RequestLogOptions): Plugin {
  return {
    onRequest({ request }) {
      requestIdOf(request);
    },
    onResponse({ request, response }) {
      const id = requestIdOf(request);
      const entry = started.get(request);
      response.headers.set('X-Request-Id', id);
      const durationMs = entry ? Math.round((performance.now() - entry.at) * 10) / 10 : undefined;
      log.info(
        {
          requestId: id,
          method: request.method,
          path: new URL(request.url).pathname,
          status: response.status,
          durationMs,
        },
        'request',
      );
    },
  };
}
