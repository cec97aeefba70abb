import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { adminRoutes } from './admin/routes.ts';
import type { Auth } from './auth/runtime.ts';
import type { Config } from './config.ts';
import type { RequestContext } from './context.ts';
import type { Db } from './db/client.ts';
import { healthRoutes } from './health.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { useArmor } from './plugins/use-armor.ts';
import { useDiscoverability } from './plugins/use-discoverability.ts';
import { useErrorCodes } from './plugins/use-error-codes.ts';
import { useHttpLimits } from './plugins/use-http-limits.ts';
import { useRateLimit } from './plugins/use-rate-limit.ts';
import { requestIdOf, setActor, useRequestLog } from './plugins/use-request-log.ts';
import { type Route, useRoutes } from './plugins/use-routes.ts';
import { useSecurityHeaders } from './plugins/use-security-headers.ts';
import { authRoutes } from './rest/auth.ts';
import { issueRoutes } from './rest/issues.ts';
import type { RestKit } from './rest/respond.ts';
import { swaggerRoutes } from './rest/swagger.ts';
import { schema } from './schema/index.ts';

export interface ServerDependencies {
  config: Config;
  db: Db;
  log: Logger;
  auth: Auth;
  /** Served at /metrics when METRICS_ENABLED. */
  metrics?: Metrics;
}

/** Node's request, present when the server runs behind `node:http`. */
interface NodeServerContext {
  req?: { socket?: { remoteAddress?: string } };
}

export type Server = YogaServerInstance<NodeServerContext, RequestContext>;

const clientAddresses = new WeakMap<Request, string>();
const clientIp = (request: Request) => clientAddresses.get(request) ?? 'unknown';

/**
 * Builds the HTTP application (GraphQL at `/graphql`, REST and health
 * routes) from its dependencies. It does not listen: `main.ts` does, tests
 * call `server.fetch`.
 */
export function createServer({ config, db, log, auth, metrics }: ServerDependencies): Server {
  /** The one context factory, for GraphQL and REST alike; it authenticates the request. */
  const contextFor = async (request: Request): Promise<RequestContext> => {
    const requestId = requestIdOf(request);
    const principal = await auth.authenticate(request);
    if (principal?.kind === 'serviceAccount') {
      auth.usage.record(principal, clientIp(request), auth.now());
      metrics?.tokenUses.inc({ service_account: String(principal.serviceAccountId) });
      setActor(request, `service-account:${principal.serviceAccountId}`);
    } else if (principal) {
      setActor(request, `user:${principal.userId}`);
    }
    return {
      request,
      requestId,
      clientIp: clientIp(request),
      log: log.child({ requestId }),
      db,
      principal,
      config,
      auth,
    };
  };
  const kit: RestKit = { contextFor, log };
  const apiRoutes = [...healthRoutes(config, db), ...authRoutes(kit, auth.keys), ...issueRoutes(kit)];
  const metricsRoutes: Route[] =
    config.metricsEnabled && metrics
      ? [
          {
            path: '/metrics',
            methods: {
              GET: async () =>
                new Response(await metrics.registry.metrics(), {
                  headers: { 'Content-Type': metrics.registry.contentType },
                }),
            },
          },
        ]
      : [];

  return createYoga<NodeServerContext, RequestContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // GraphiQL bundled with the server (no CDN), only when API contracts are published.
    graphiql: config.viewApis ? { title: 'GRC API', headers: JSON.stringify({ 'x-graphql-yoga-csrf': '1' }) } : false,
    renderGraphiQL,
    logging: log,
    maskedErrors: { isDev: false },
    // One operation per request: batched arrays are refused.
    batching: false,
    cors:
      config.http.corsOrigins === '*' || config.http.corsOrigins.length > 0
        ? { origin: config.http.corsOrigins, credentials: false, methods: ['GET', 'POST'], maxAge: 600 }
        : false,
    plugins: [
      {
        onRequest({ request, serverContext }) {
          // Behind a trusted proxy, the client is the address the proxy appended last.
          const forwarded = config.trustProxy
            ? request.headers.get('x-forwarded-for')?.split(',').at(-1)?.trim()
            : undefined;
          const address = forwarded || (serverContext as NodeServerContext | undefined)?.req?.socket?.remoteAddress;
          if (address) clientAddresses.set(request, address);
        },
      },
      useRequestLog({ log, metrics }),
      useSecurityHeaders(),
      useHttpLimits(config.http),
      useRateLimit({ perMinute: config.http.rateLimitPerMinute, clientIp, exempt: ['/healthz', '/readyz'] }),
      useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf'] }),
      ...useArmor(config.graphql),
      ...(config.viewApis ? [] : useDiscoverability()),
      useErrorCodes(),
      useRoutes([
        ...apiRoutes,
        ...adminRoutes(),
        ...metricsRoutes,
        ...(config.viewApis ? swaggerRoutes(apiRoutes) : []),
      ]),
    ],
    context: ({ request }) => contextFor(request),
  });
}
