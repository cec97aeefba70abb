import { version } from '../version.ts';
import { jsonResponse } from './json-response.ts';
import type { Method, Route } from './router.ts';

/**
 * `GET /`: a JSON index of what this server answers, so that a person or
 * a script that opens the bare address learns where to go. It lists the
 * routes actually served (no Swagger when VIEW_APIS is false).
 */
export function homeRoutes(routes: Route[], { graphiql }: { graphiql: boolean }): Route[] {
  const endpoints = [
    {
      path: '/graphql',
      methods: ['GET', 'POST'],
      summary: graphiql ? 'The GraphQL API; GraphiQL in a browser' : 'The GraphQL API',
    },
    ...routes.flatMap((route) => {
      const summary = route.summary ?? Object.values(route.docs ?? {})[0]?.summary;
      return summary ? [{ path: route.path, methods: Object.keys(route.methods) as Method[], summary }] : [];
    }),
  ];
  return [
    {
      path: '/',
      methods: {
        GET: () => jsonResponse({ name: 'grc-api', version, endpoints }, { headers: { 'Cache-Control': 'no-cache' } }),
      },
    },
  ];
}
