import type { KeyStore } from '../auth/keys.ts';
import type { Route } from '../plugins/use-routes.ts';
import { login } from '../services/auth.ts';
import { handle, type RestKit, readJsonObject } from './respond.ts';

/**
 * `POST /api/authentication/login` as RegScale's scripts call it, and the
 * public signing keys at `GET /.well-known/jwks.json`.
 */
export function authRoutes(kit: RestKit, keys: KeyStore): Route[] {
  return [
    {
      path: '/api/authentication/login',
      methods: {
        POST: (request) =>
          handle(kit, request, async (ctx) => {
            const body = await readJsonObject(request);
            const result = await login(ctx, { userName: body.userName, password: body.password });
            return Response.json(
              {
                id: result.user.id,
                auth_token: result.token,
                expiresAt: result.expiresAt.toISOString(),
                roles: result.roles,
              },
              { headers: { 'Cache-Control': 'no-store' } },
            );
          }),
      },
    },
    {
      path: '/.well-known/jwks.json',
      methods: {
        GET: () => Response.json(keys.jwks(), { headers: { 'Cache-Control': 'public, max-age=300' } }),
      },
    },
  ];
}
