import type { Route } from '../http/router.ts';
import { logout } from '../sessions/sessions.ts';
import { authErrorDocs, availabilityErrorDocs } from './openapi.ts';
import { handle, type RestKit } from './respond.ts';

/** `POST /api/authentication/logout`: ends the caller's session. */
export function sessionRoutes(kit: RestKit): Route[] {
  return [
    {
      path: '/api/authentication/logout',
      methods: {
        POST: (request) =>
          handle(kit, request, async (ctx) => {
            await logout(ctx);
            return new Response(null, { status: 204, headers: { 'Cache-Control': 'no-store' } });
          }),
      },
      docs: {
        POST: {
          operationId: 'logout',
          tags: ['Authentication'],
          summary: 'End the caller’s session',
          description:
            'The session token is refused from now on, within a second on every instance. A service-account token is refused with 403: revoke the account instead.',
          security: [{ bearerAuth: [] }],
          responses: {
            '204': { description: 'The session has ended.' },
            ...authErrorDocs,
            ...availabilityErrorDocs,
          },
        },
      },
    },
  ];
}
