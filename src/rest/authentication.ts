import type { KeyStore } from '../auth/keys.ts';
import { Role } from '../db/types.ts';
import { BadUserInputError, UnauthenticatedError } from '../errors.ts';
import { jsonResponse } from '../http/json-response.ts';
import type { Route } from '../http/router.ts';
import { login } from '../sessions/login.ts';
import { availabilityErrorDocs, errorResponseDoc, retryAfterHeader } from './openapi.ts';
import { handle, type RestKit, readJsonObject } from './respond.ts';

const noStore = { 'Cache-Control': 'no-store' };

/** RegScale's version 2 of the login answer, asked for with `X-Api-Version: 2.0` (or `2`). */
function wantsVersion2(request: Request): boolean {
  return /^2(\.0)?$/.test((request.headers.get('x-api-version') ?? '').trim());
}

const rolesSchema = { type: 'array', items: { type: 'string', enum: Object.values(Role) } };

/**
 * `POST /api/authentication/login` and `POST /api/authentication/validateToken`
 * as RegScale's client calls them, and the public signing keys at
 * `GET /.well-known/jwks.json`. Both are anonymous: an `Authorization`
 * header (older RegScale releases send a stale one) is not read.
 */
export function authRoutes(kit: RestKit, keys: KeyStore): Route[] {
  return [
    {
      path: '/api/authentication/login',
      methods: {
        POST: (request) =>
          handle(
            kit,
            request,
            async (ctx) => {
              const body = await readJsonObject(request);
              // RegScale's client also sends oldPassword, mfaToken and appId: not used here.
              const result = await login(ctx, { userName: body.userName, password: body.password });
              const expiresAt = result.expiresAt.toISOString();
              if (wantsVersion2(request)) {
                // core/login.py get_regscale_token reads accessToken.id and accessToken.authToken.
                const expiresIn = Math.max(
                  0,
                  Math.round((result.expiresAt.getTime() - ctx.auth.now().getTime()) / 1000),
                );
                return jsonResponse(
                  {
                    accessToken: { id: result.user.id, authToken: result.token, expiresIn, expiresAt },
                    roles: result.roles,
                  },
                  { headers: noStore },
                );
              }
              return jsonResponse(
                { id: result.user.id, auth_token: result.token, expiresAt, roles: result.roles },
                { headers: noStore },
              );
            },
            { anonymous: true },
          ),
      },
      docs: {
        POST: {
          operationId: 'login',
          tags: ['Authentication'],
          summary: 'Sign in and get a session token',
          description:
            'Answers a JWT valid for the session timeout: with `X-Api-Version: 2.0` in RegScale’s version 2 shape (`accessToken.id`, `accessToken.authToken`), otherwise as `id` and `auth_token`. Anonymous: an `Authorization` header is ignored. `oldPassword`, `mfaToken` and `appId` are accepted and not used. A wrong user name and a wrong password fail alike; repeated failures are refused for a while (429).',
          security: [],
          parameters: [
            {
              name: 'X-Api-Version',
              in: 'header',
              required: false,
              description: '`2.0` (or `2`) for RegScale’s version 2 answer.',
              schema: { type: 'string', enum: ['1', '1.0', '2', '2.0'] },
            },
          ],
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
                    oldPassword: { type: 'string', description: 'Sent by RegScale’s client; ignored.' },
                    mfaToken: { type: ['string', 'null'], description: 'Sent by RegScale’s client; ignored.' },
                    appId: { type: 'integer', description: 'Sent by RegScale’s client; ignored.' },
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
                    oneOf: [
                      {
                        title: 'Version 1',
                        type: 'object',
                        required: ['id', 'auth_token', 'expiresAt', 'roles'],
                        properties: {
                          id: { type: 'string', format: 'uuid', description: 'The user id.' },
                          auth_token: { type: 'string', description: 'Send as `Authorization: Bearer <auth_token>`.' },
                          expiresAt: { type: 'string', format: 'date-time' },
                          roles: rolesSchema,
                        },
                      },
                      {
                        title: 'Version 2 (X-Api-Version: 2.0)',
                        type: 'object',
                        required: ['accessToken', 'roles'],
                        properties: {
                          accessToken: {
                            type: 'object',
                            required: ['id', 'authToken', 'expiresIn', 'expiresAt'],
                            properties: {
                              id: { type: 'string', format: 'uuid', description: 'The user id.' },
                              authToken: {
                                type: 'string',
                                description: 'Send as `Authorization: Bearer <authToken>`.',
                              },
                              expiresIn: { type: 'integer', description: 'Seconds until it expires.' },
                              expiresAt: { type: 'string', format: 'date-time' },
                            },
                          },
                          roles: rolesSchema,
                        },
                      },
                    ],
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
      path: '/api/authentication/validateToken',
      caseInsensitive: true,
      methods: {
        POST: (request) =>
          handle(
            kit,
            request,
            async (ctx) => {
              const body = await readJsonObject(request);
              const raw = body.accessToken;
              if (typeof raw !== 'string' || raw.trim() === '' || raw.length > 8192) {
                throw new BadUserInputError('accessToken: must be a token', 'accessToken');
              }
              const value = raw.trim();
              const authorization = /^bearer\s/i.test(value) ? value : `Bearer ${value}`;
              let principal: Awaited<ReturnType<typeof ctx.auth.authenticate>>;
              try {
                principal = await ctx.auth.authenticate(new Request(request.url, { headers: { authorization } }));
              } catch (error) {
                // Never 401 here: RegScale's client answers a 401 from validateToken by calling it again.
                if (error instanceof UnauthenticatedError) {
                  throw new BadUserInputError('accessToken: invalid, expired or revoked token', 'accessToken');
                }
                throw error;
              }
              if (!principal) throw new BadUserInputError('accessToken: must be a token', 'accessToken');
              return jsonResponse(
                {
                  valid: true,
                  id: principal.userId,
                  userName: principal.userName,
                  kind: principal.kind === 'serviceAccount' ? 'service_account' : 'user',
                  serviceAccountId: principal.serviceAccountId,
                  roles: [...principal.roles].sort(),
                  expiresAt: principal.expiresAt.toISOString(),
                },
                { headers: noStore },
              );
            },
            { anonymous: true },
          ),
      },
      docs: {
        POST: {
          operationId: 'validateToken',
          tags: ['Authentication'],
          summary: 'Check a session or service-account token',
          description:
            'RegScale’s token check: the token is in the body (`Bearer ` optional), not in a header. A valid token answers 200; any other answers 400, never 401 (RegScale’s client would call this again on a 401).',
          security: [],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['accessToken'],
                  properties: { accessToken: { type: 'string', description: '`Bearer <token>` or the bare token.' } },
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'The token is valid.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['valid', 'id', 'userName', 'kind', 'serviceAccountId', 'roles', 'expiresAt'],
                    properties: {
                      valid: { type: 'boolean', const: true },
                      id: {
                        type: 'string',
                        format: 'uuid',
                        description: 'The user id (the creator’s, for a service-account token): its `id` claim.',
                      },
                      userName: { type: 'string' },
                      kind: { type: 'string', enum: ['user', 'service_account'] },
                      serviceAccountId: { type: ['integer', 'null'] },
                      roles: rolesSchema,
                      expiresAt: { type: 'string', format: 'date-time' },
                    },
                  },
                },
              },
            },
            '400': errorResponseDoc('No token, or an invalid, expired or revoked one.'),
            ...availabilityErrorDocs,
          },
        },
      },
    },
    {
      path: '/.well-known/jwks.json',
      methods: {
        GET: () => jsonResponse(keys.jwks(), { headers: { 'Cache-Control': 'public, max-age=300' } }),
      },
      docs: {
        GET: {
          operationId: 'jwks',
          tags: ['Authentication'],
          summary: 'Public keys that verify the server’s tokens (JWKS)',
          security: [],
          responses: {
            '200': {
              description: 'A JSON Web Key Set of public keys.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['keys'],
                    properties: {
                      keys: {
                        type: 'array',
                        items: {
                          type: 'object',
                          required: ['kty', 'kid'],
                          properties: {
                            kty: { type: 'string', description: 'Key type (`OKP` for Ed25519, `EC` for P-256).' },
                            kid: { type: 'string', description: 'Key id, the `kid` of tokens it verifies.' },
                            alg: { type: 'string', enum: ['EdDSA', 'ES256'] },
                            use: { type: 'string', const: 'sig' },
                            crv: { type: 'string' },
                            x: { type: 'string' },
                            y: { type: 'string' },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
            '429': availabilityErrorDocs['429'],
          },
        },
      },
    },
  ];
}
