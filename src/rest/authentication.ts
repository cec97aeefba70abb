import type { KeyStore } from '../auth/keys.ts';
import { Role } from '../db/types.ts';
import type { Route } from '../http/router.ts';
import { login } from '../sessions/login.ts';
import { availabilityErrorDocs, errorResponseDoc, retryAfterHeader } from './openapi.ts';
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
      docs: {
        POST: {
          operationId: 'login',
          tags: ['Authentication'],
          summary: 'Sign in and get a session token',
          description:
            'Answers a JWT valid for the session timeout. A wrong user name and a wrong password fail alike; repeated failures are refused for a while (429).',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['userName', 'password'],
                  properties: {
                    userName: { type: 'string', minLength: 1, maxLength: 100 },
                    password: { type: 'string', minLength: 1, maxLength: 1024, format: 'password' },
                  },
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'Signed in.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['id', 'auth_token', 'expiresAt', 'roles'],
                    properties: {
                      id: { type: 'string', format: 'uuid', description: 'The user id.' },
                      auth_token: { type: 'string', description: 'Send as `Authorization: Bearer <auth_token>`.' },
                      expiresAt: { type: 'string', format: 'date-time' },
                      roles: {
                        type: 'array',
                        items: { type: 'string', enum: Object.values(Role) },
                      },
                    },
                  },
                },
              },
            },
            '400': errorResponseDoc('The body is not a JSON object with userName and password.'),
            '401': errorResponseDoc('Invalid user name or password.'),
            ...availabilityErrorDocs,
            '429': errorResponseDoc(
              'Too many failed logins for this user name from this address, or too many requests.',
              retryAfterHeader,
            ),
          },
        },
      },
    },
    {
      path: '/.well-known/jwks.json',
      methods: {
        GET: () => Response.json(keys.jwks(), { headers: { 'Cache-Control': 'public, max-age=300' } }),
      },
      docs: {
        GET: {
          operationId: 'jwks',
          tags: ['Authentication'],
          summary: 'Public keys that verify the server’s tokens (JWKS)',
          responses: {
            '200': {
              description: 'A JSON Web Key Set of public keys.',
              content: { 'application/json': { schema: { type: 'object', required: ['keys'] } } },
            },
          },
        },
      },
    },
  ];
}
