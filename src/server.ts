import type { DocumentNode } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { Principal } from './access/principal.ts';
import { adminRoutes } from './admin/routes.ts';
import type { Auth } from './auth/runtime.ts';
import type { Config } from './config.ts';
import type { RequestContext } from './context.ts';
import type { Db } from './db/client.ts';
import { graphiqlRoutes, renderGraphiQL } from './http/graphiql.ts';
import { healthRoutes } from './http/health.ts';
import { homeRoutes } from './http/home.ts';
import { type Metrics, metricsRoutes } from './http/metrics.ts';
import { clientAddressOf, factsOf, type NodeServerContext, useRequestFacts } from './http/request-facts.ts';
import { routeLabeler, useRoutes } from './http/router.ts';
import { useCompression } from './http/use-compression.ts';
import { useHttpLimits } from './http/use-http-limits.ts';
import { useIdempotency } from './http/use-idempotency.ts';
import { useRateLimit } from './http/use-rate-limit.ts';
import { useRequestLog } from './http/use-request-log.ts';
import { useSecurityHeaders } from './http/use-security-headers.ts';
import { type Logger, requestLogger } from './logger.ts';
import { useArmor } from './plugins/use-armor.ts';
import { useCSRFPrevention } from './plugins/use-csrf-prevention.ts';
import { useDiscoverability } from './plugins/use-discoverability.ts';
import { useErrorCodes } from './plugins/use-error-codes.ts';
import { useGraphQlJit } from './plugins/use-graphql-jit.ts';
import { useScopeCacheRelease } from './plugins/use-scope-cache-release.ts';
import { useTracing } from './plugins/use-tracing.ts';
import { useTrustedDocuments } from './plugins/use-trusted-documents.ts';
import { useValidationCache } from './plugins/use-validation-cache.ts';
import { auditRoutes } from './rest/audit.ts';
import { authRoutes } from './rest/authentication.ts';
import { issueRoutes } from './rest/issues.ts';
import { regscaleIssueRoutes } from './rest/regscale-issues.ts';
import type { RestKit } from './rest/respond.ts';
import { sessionRoutes } from './rest/sessions.ts';
import { swaggerRoutes } from './rest/swagger.ts';
import { schema } from './schema/index.ts';

export interface ServerDependencies {
  config: Config;
  db: Db;
  log: Logger;
  auth: Auth;
  /** Served at /metrics when METRICS_ENABLED. */
  metrics?: Metrics;
  /** Whether the server is draining before it stops (`/readyz` answers 503). @default never */
  isDraining?: () => boolean;
}

export type Server = YogaServerInstance<NodeServerContext, RequestContext>;

/**
 * Builds the HTTP application (GraphQL at `/graphql`, REST and health
 * routes) from its dependencies. It does not listen: `main.ts` does, tests
 * call `server.fetch`.
 */
export function createServer({ config, db, log, auth, metrics, isDraining }: ServerDependencies): Server {
  metrics?.observeLimits(auth.limits);
  const contextOf = (request: Request, principal: Principal | null): RequestContext => {
    const facts = factsOf(request);
    if (principal?.kind === 'serviceAccount') {
      auth.usage.record(principal, facts.clientAddress, auth.nowMs());
      metrics?.tokenUses.inc({ service_account: String(principal.serviceAccountId) });
      facts.actor = `service-account:${principal.serviceAccountId}`;
    } else if (principal) {
      auth.usage.recordSession(principal.tokenId, auth.nowMs());
      facts.actor = `user:${principal.userId}`;
    }
    return {
      request,
      requestId: facts.id,
      clientIp: facts.clientAddress,
      log: requestLogger(log, facts.id),
      db,
      principal,
      config,
      auth,
      deadline: facts.deadline,
    };
  };
  /**
   * The one context factory, for GraphQL and REST alike; it authenticates the request. Without
   * a promise when the token was verified before (or there is none).
   */
  const contextFor = (request: Request, { authenticate = true } = {}): RequestContext | Promise<RequestContext> => {
    const principal = authenticate ? auth.authenticate(request) : null;
    return principal instanceof Promise ? principal.then((p) => contextOf(request, p)) : contextOf(request, principal);
  };
  const kit: RestKit = { contextFor, log };
  // The public API, as the OpenAPI document describes it.
  const apiRoutes = [
    ...healthRoutes(config, db, { isDraining, limits: auth.limits }),
    ...authRoutes(kit, auth.keys),
    ...sessionRoutes(kit),
    // Before issueRoutes: `/api/issues/{id}` would match `/api/issues/batchCreate` too.
    ...regscaleIssueRoutes(kit),
    ...issueRoutes(kit),
    ...auditRoutes(kit),
  ];
  const routes = [
    ...apiRoutes,
    ...adminRoutes(),
    ...(config.metricsEnabled && metrics ? metricsRoutes(metrics) : []),
    ...(config.viewApis ? [...swaggerRoutes(apiRoutes), ...graphiqlRoutes()] : []),
  ];
  const allRoutes = [...routes, ...homeRoutes(routes, { graphiql: config.viewApis })];
  const routeOf = routeLabeler(allRoutes);

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
    // useHttpLimits refuses a body declared larger than MAX_BODY_BYTES and one without a declared
    // length, and Node's parser reads no more than the declared length: yoga's own limit would only
    // pipe every body through a counting stream again (2.6 % of the CPU of an issues page).
    maxRequestBodySize: false,
    // Documents by their text, kept while among the 1,024 used last (yoga's default keeps them an
    // hour at most, and reads a clock on every lookup for it); validation results by document, in
    // useValidationCache.
    parserAndValidationCache: {
      documentCache: new LRUCache<string, DocumentNode>({ max: 1024 }),
      errorCache: new LRUCache<string, Error>({ max: 1024 }),
      validationCache: false,
    },
    cors:
      config.http.corsOrigins === '*' || config.http.corsOrigins.length > 0
        ? { origin: config.http.corsOrigins, credentials: false, methods: ['GET', 'POST'], maxAge: 600 }
        : false,
    plugins: [
      // First, so that its HTTP span is the outermost and active in every other plugin.
      ...(config.tracing.enabled ? [useTracing({ routeOf })] : []),
      useRequestFacts({ trustProxy: config.trustProxy }),
      // Before the request log, which names the operation from the document a hash resolves to.
      ...(config.trustedDocuments === 'off' ? [] : [useTrustedDocuments({ mode: config.trustedDocuments })]),
      useRequestLog({ log, metrics, routeOf }),
      useSecurityHeaders(),
      useCompression(),
      useHttpLimits(config.http),
      useRateLimit({
        perMinute: config.http.rateLimitPerMinute,
        clientIp: clientAddressOf,
        // One budget per verified token (its jti), however the header spells it.
        identify: async (request) => (await auth.identify(request))?.tokenId ?? null,
        now: () => auth.now().getTime(),
        store: auth.limits,
        exempt: ['/healthz', '/readyz'],
      }),
      useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf'] }),
      useIdempotency({ db, log, principalOf: auth.identify, now: auth.now }),
      ...useArmor(config.graphql),
      ...(config.viewApis ? [] : useDiscoverability()),
      useErrorCodes(),
      useScopeCacheRelease(),
      useRoutes(allRoutes, { graphqlEndpoint: '/graphql' }),
      // Last: it sets the execute function of queries.
      ...(config.graphqlJit
        ? [
            useGraphQlJit({
              onCompileError: (result) =>
                log.warn({ errors: result.errors }, 'graphql-jit could not compile a query; graphql-js runs it'),
            }),
          ]
        : []),
      // Last of those with an onValidate hook: it keeps their rules' errors as they leave them.
      useValidationCache(),
    ],
    context: ({ request }) => contextFor(request),
  });
}
