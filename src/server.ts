import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Auth } from './auth/runtime.ts';
import type { Config } from './config.ts';
import type { RequestContext } from './context.ts';
import type { Db } from './db/client.ts';
import { healthRoutes } from './health.ts';
import type { Logger } from './logger.ts';
import { useInputErrors } from './plugins/use-input-errors.ts';
import { requestIdOf, useRequestLog } from './plugins/use-request-log.ts';
import { useRoutes } from './plugins/use-routes.ts';
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
}

/** Node's request, present when the server runs behind `node:http`. */
interface NodeServerContext {
  req?: { socket?: { remoteAddress?: string } };
}

export type Server = YogaServerInstance<NodeServerContext, RequestContext>;

const clientAddresses = new WeakMap<Request, string>();

/**
 * Builds the HTTP application (GraphQL at `/graphql`, REST and health
 * routes) from its dependencies. It does not listen: `main.ts` does, tests
 * call `server.fetch`.
 */
export function createServer({ config, db, log, auth }: ServerDependencies): Server {
  /** The one context factory, for GraphQL and REST alike; it authenticates the request. */
  const contextFor = async (request: Request): Promise<RequestContext> => {
    const requestId = requestIdOf(request);
    const clientIp = clientAddresses.get(request) ?? 'unknown';
    const principal = await auth.authenticate(request);
    if (principal?.kind === 'serviceAccount') auth.usage.record(principal, clientIp, auth.now());
    return { request, requestId, clientIp, log: log.child({ requestId }), db, principal, config, auth };
  };
  const kit: RestKit = { contextFor, log };
  const apiRoutes = [...healthRoutes(config, db), ...authRoutes(kit, auth.keys), ...issueRoutes(kit)];

  return createYoga<NodeServerContext, RequestContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: config.viewApis ? { title: 'GRC API' } : false,
    logging: log,
    maskedErrors: true,
    plugins: [
      {
        onRequest({ request, serverContext }) {
          const address = (serverContext as NodeServerContext | undefined)?.req?.socket?.remoteAddress;
          if (address) clientAddresses.set(request, address);
        },
      },
      useRequestLog({ log }),
      useInputErrors(),
      useRoutes([...apiRoutes, ...(config.viewApis ? swaggerRoutes(apiRoutes) : [])]),
    ],
    context: ({ request }) => contextFor(request),
  });
}
