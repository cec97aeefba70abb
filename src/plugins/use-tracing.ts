import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { tracerName } from '../telemetry.ts';
import { version } from '../version.ts';

export interface TracingOptions {
  /** @default the API's tracer `grc-api` (the SDK's once `startTracing` registered it) */
  tracer?: Tracer;
  /** The `http.route` of a path, bounded as the metrics labels are (see `routeLabeler`). @default none */
  routeOf?: (pathname: string) => string;
  /**
   * Paths that get no span: probes and scrapes, which would fill traces every few seconds.
   * @default ['/healthz', '/readyz', '/metrics']
   */
  untraced?: readonly string[];
}

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/** Runs `wrapped` with `span` active, and ends the span when it settles (recording a thrown error). */
function within<T>(parent: Context, span: Span, wrapped: () => T): T {
  const fail = (error: unknown) => {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    throw error;
  };
  let result: T;
  try {
    result = context.with(trace.setSpan(parent, span), wrapped);
  } catch (error) {
    return fail(error);
  }
  if (result instanceof Promise) {
    return result.then((value) => {
      span.end();
      return value;
    }, fail) as T;
  }
  span.end();
  return result;
}

/**
 * OpenTelemetry spans for every request (tracing on only: `server.ts` adds
 * the plugin when `config.tracing.enabled`). The HTTP server span continues
 * the caller's trace (W3C `traceparent`, `tracestate`); under it, for
 * GraphQL, `graphql.parse`, `graphql.validate`, `graphql.context` (where
 * the request is authenticated) and `graphql.execute`, as the GraphQL Hive
 * plugin names them. Each phase runs with its span active, so that the
 * resolver spans (Pothos) and Prisma's query spans nest under it, and log
 * lines written meanwhile carry its ids.
 *
 * Neither the document, the variables nor the query string are recorded:
 * they may hold secrets. Probes and scrapes get no span (`untraced`).
 */
export function useTracing({
  tracer = trace.getTracer(tracerName, version),
  routeOf,
  untraced = ['/healthz', '/readyz', '/metrics'],
}: TracingOptions = {}): Plugin {
  const skipped = new Set(untraced);
  const httpSpans = new WeakMap<Request, Span>();
  /** graphql.context spans still open: the phase is async, but its instrumentation sees only the sync start. */
  const contextSpans = new WeakSet<Span>();
  const phase =
    (name: string) =>
    <T>(_payload: unknown, wrapped: () => T): T =>
      within(context.active(), tracer.startSpan(name), wrapped);
  return {
    instrumentation: {
      request({ request }, wrapped) {
        const url = new URL(request.url);
        if (skipped.has(url.pathname)) return wrapped();
        const route = routeOf?.(url.pathname);
        const parent = propagation.extract(ROOT_CONTEXT, request.headers, headerGetter);
        const attributes: Attributes = {
          'http.request.method': request.method,
          'url.scheme': url.protocol.replace(':', ''),
          'url.path': url.pathname,
          'server.address': url.hostname,
        };
        if (route && route !== 'other') attributes['http.route'] = route;
        const name = route && route !== 'other' ? `${request.method} ${route}` : request.method;
        const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
        httpSpans.set(request, span);
        return within(parent, span, wrapped);
      },
      parse: phase('graphql.parse'),
      validate: phase('graphql.validate'),
      context(_payload, wrapped) {
        const span = tracer.startSpan('graphql.context');
        contextSpans.add(span);
        try {
          context.with(trace.setSpan(context.active(), span), wrapped);
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
          throw error;
        }
      },
      execute: phase('graphql.execute'),
    },
    onContextBuilding() {
      // Runs inside the context instrumentation; its done callback once the whole context is built.
      const span = trace.getActiveSpan();
      if (!span || !contextSpans.has(span)) return;
      contextSpans.delete(span);
      return () => span.end();
    },
    onExecute({ args }) {
      // Runs inside the `execute` instrumentation: the active span is graphql.execute.
      const operation = getOperationAST(args.document, args.operationName);
      if (!operation) return;
      const attributes: Attributes = { 'graphql.operation.type': operation.operation };
      if (operation.name) attributes['graphql.operation.name'] = operation.name.value;
      trace.getActiveSpan()?.setAttributes(attributes);
      httpSpans.get(args.contextValue.request)?.setAttributes(attributes);
    },
    onExecutionResult({ result, request }) {
      // GraphQL errors answer 200: the codes on the HTTP span let them be found.
      const errors = result && !Array.isArray(result) && 'errors' in result ? (result.errors ?? []) : [];
      if (errors.length === 0) return;
      const codes = new Set(errors.map((e) => String(e.extensions?.code ?? 'UNKNOWN')));
      httpSpans
        .get(request)
        ?.setAttributes({ 'graphql.error.count': errors.length, 'graphql.error.codes': [...codes] });
    },
    onResponse({ request, response }) {
      const span = httpSpans.get(request);
      if (!span) return;
      span.setAttribute('http.response.status_code', response.status);
      // Server spans are errors on 5xx only; 4xx is the caller's mistake.
      if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    },
  };
}
