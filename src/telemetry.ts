import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { version } from './version.ts';

/** The tracer every span of the server is started with (the SDK is registered behind the API's proxy). */
export const tracerName = 'grc-api';

export interface Telemetry {
  /** Exports the spans still buffered, then stops the exporter. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing when the environment asks for it
 * (`config.tracing.enabled`), and does nothing otherwise: the SDK and the
 * exporters are imported here only then, so a server without `OTEL_*`
 * variables loads none of it.
 *
 * No module is patched (nothing needs loading before anything else): spans
 * come from the API, whose global tracer provider is set here before the
 * first request — the yoga plugin (`useTracing`), the Pothos resolver
 * wrapper and Prisma's instrumentation all ask the API at call time.
 *
 * The SDK reads the rest of the standard variables itself: the endpoint and
 * headers (`OTEL_EXPORTER_OTLP_*`), the sampler (`OTEL_TRACES_SAMPLER`), the
 * batch processor (`OTEL_BSP_*`), the resource (`OTEL_SERVICE_NAME`,
 * `OTEL_RESOURCE_ATTRIBUTES`). W3C Trace Context (and Baggage) is the propagator.
 */
export async function startTracing(tracing: Config['tracing'], log: Logger): Promise<Telemetry | undefined> {
  if (!tracing.enabled) return undefined;
  const { diag, DiagLogLevel } = await import('@opentelemetry/api');
  // The SDK's own troubles (an unreachable collector, a refused export) as warnings in our log.
  diag.setLogger(
    {
      error: (message, ...args) => log.warn({ args }, `opentelemetry: ${message}`),
      warn: (message, ...args) => log.warn({ args }, `opentelemetry: ${message}`),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    DiagLogLevel.WARN,
  );
  const [{ NodeTracerProvider, BatchSpanProcessor }, resources, { PrismaInstrumentation }, exporters] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/resources'),
      import('@prisma/instrumentation'),
      tracing.protocol === 'http/json'
        ? import('@opentelemetry/exporter-trace-otlp-http')
        : import('@opentelemetry/exporter-trace-otlp-proto'),
    ]);
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ 'service.name': tracerName, 'service.version': version }))
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the defaults above.
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new exporters.OTLPTraceExporter())],
  });
  // The AsyncLocalStorage context manager and the W3C propagators.
  provider.register();
  // Enabled as it is made: it sets the global helper that Prisma's client asks for on each
  // query, bound to the provider just registered (no module patching).
  const prisma = new PrismaInstrumentation();
  return {
    async shutdown() {
      prisma.disable();
      await provider.shutdown();
    },
  };
}
