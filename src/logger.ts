import { isSpanContextValid, trace } from '@opentelemetry/api';
import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * Paths that may hold a secret. pino replaces them before a line is written,
 * so a careless `log.info({ req })` cannot leak a token or a password.
 */
const redact = [
  'authorization',
  'password',
  'token',
  '*.authorization',
  '*.password',
  '*.token',
  '*.headers.authorization',
  '*.headers.cookie',
  'variables.password',
  'variables.*.password',
];

/**
 * The ids of the span active where a line is written (a request's, while
 * tracing is on), named as OpenTelemetry's log data model and its pino
 * instrumentation name them. Nothing outside a span.
 */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan()?.spanContext();
  if (!span || !isSpanContextValid(span)) return {};
  return { trace_id: span.traceId, span_id: span.spanId, trace_flags: `0${span.traceFlags.toString(16)}` };
}

export interface LoggerOptions {
  /**
   * Whether each line carries `trace_id`, `span_id` and `trace_flags`; only
   * when tracing is on, so that no line pays for a look-up otherwise.
   * @default false
   */
  traceIds?: boolean;
}

/** JSON-lines logger; `level: 'silent'` for tests. */
export function createLogger(
  level: string,
  destination?: pino.DestinationStream,
  { traceIds = false }: LoggerOptions = {},
): Logger {
  return pino(
    {
      level,
      redact: { paths: redact, censor: '[redacted]' },
      base: { service: 'grc-api' },
      ...(traceIds ? { mixin: traceFields } : {}),
    },
    destination,
  );
}
