import type { Route } from '../plugins/use-routes.ts';
import { version } from '../version.ts';

/** JSON Schema of an issue as the REST API answers it (`issueJson`). */
const issueSchema = {
  type: 'object',
  required: [
    'id',
    'uuid',
    'title',
    'description',
    'severityLevel',
    'status',
    'dueDate',
    'dateCompleted',
    'issueOwnerId',
    'createdById',
    'lastUpdatedById',
    'dateCreated',
    'dateLastUpdated',
  ],
  properties: {
    id: { type: 'integer', minimum: 1 },
    uuid: { type: 'string', format: 'uuid' },
    title: { type: 'string' },
    description: { type: ['string', 'null'] },
    severityLevel: { type: 'string', enum: ['HIGH', 'MODERATE', 'LOW', 'NOT_ASSIGNED'] },
    status: { type: 'string', enum: ['DRAFT', 'OPEN', 'PENDING_VERIFICATION', 'CLOSED', 'CANCELLED'] },
    dueDate: { type: ['string', 'null'], format: 'date-time' },
    dateCompleted: { type: ['string', 'null'], format: 'date-time' },
    issueOwnerId: { type: ['string', 'null'], format: 'uuid' },
    createdById: { type: ['string', 'null'], format: 'uuid' },
    lastUpdatedById: { type: ['string', 'null'], format: 'uuid' },
    dateCreated: { type: 'string', format: 'date-time' },
    dateLastUpdated: { type: 'string', format: 'date-time' },
  },
  additionalProperties: false,
};

const components = {
  securitySchemes: {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'A session token from login, or a service-account token.',
    },
  },
  schemas: {
    Error: {
      type: 'object',
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message'],
          properties: { code: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
    Issue: issueSchema,
  },
};

/** A response made of the shared error shape. */
export function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
}

/** The error responses every authenticated endpoint may give. */
export const authErrors = {
  '401': errorResponse('Missing, invalid, expired or revoked token (with `WWW-Authenticate: Bearer`).'),
  '403': errorResponse('The token lacks a role this endpoint requires.'),
};

/**
 * The OpenAPI 3.1 document of the REST API, built from the `docs` the
 * routes carry: a route with no docs is not part of the public API.
 */
export function openApiDocument(routes: Route[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    for (const [method, doc] of Object.entries(route.docs ?? {})) {
      paths[route.path] ??= {};
      (paths[route.path] as Record<string, unknown>)[method.toLowerCase()] = doc;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'GRC API (REST)',
      version,
      description:
        'The REST shim for scripts. Send `Authorization: Bearer <token>`: a session token from ' +
        '`POST /api/authentication/login` or a service-account token. Errors have one shape: ' +
        '`{ "error": { "code", "message" } }`. The GraphQL API is at `/graphql`.',
    },
    servers: [{ url: '/' }],
    components,
    paths,
  };
}
