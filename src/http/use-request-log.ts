import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.ts';
import { documentFolders } from '../plugins/trusted-documents.ts';
import type { Metrics } from './metrics.ts';
import { factsOf } from './request-facts.ts';

const root = new URL('../../', import.meta.url).pathname;

/**
 * The operation names of the GraphQL documents committed with the server
 * (the typed client's and the console's: the trusted documents), read once.
 */
export function committedOperationNames(folders = documentFolders): Set<string> {
  const names = new Set<string>();
  for (const folder of folders.map((f) => join(root, f)).filter((f) => existsSync(f))) {
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.graphql'))) {
      for (const definition of parse(readFileSync(join(folder, file), 'utf8')).definitions) {
        if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) names.add(definition.name.value);
      }
    }
  }
  return names;
}

export interface RequestLogOptions {
  log: Logger;
  metrics?: Metrics;
  /** The metrics label of a path (see `routeLabeler`). @default every path is `other` */
  routeOf?: (pathname: string) => string;
  /**
   * Operation names that are metrics labels as they are; any other name a
   * client sends is counted as `other`, so that made-up names cannot grow
   * the series without bound. The log line keeps the name sent.
   * @default committedOperationNames()
   */
  knownOperations?: ReadonlySet<string>;
}

/**
 * Echoes every request's id in `X-Request-Id` and writes one JSON line per
 * answered request: request id, method, path, GraphQL operation, actor,
 * status and duration; and counts it in the metrics, by route, operation
 * (bounded: see `knownOperations`) and status. Never the query
 * string values, headers or body, which may hold secrets.
 */
export function useRequestLog({
  log,
  metrics,
  routeOf = () => 'other',
  knownOperations = metrics ? committedOperationNames() : new Set(),
}: RequestLogOptions): Plugin {
  /** `-` outside GraphQL, `anonymous` for unnamed operations, a known name, else `other`. */
  const operationLabel = (operation: string | undefined) =>
    operation === undefined || operation === 'anonymous' || knownOperations.has(operation)
      ? (operation ?? '-')
      : 'other';
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
        const operation = operationLabel(entry.operation);
        metrics.requests.inc({ method: request.method, route, operation, status });
        metrics.duration.observe({ route, operation, status }, seconds);
      }
    },
  };
}
