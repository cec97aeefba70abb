import type { OperationDoc, Route } from '../http/router.ts';
import { type RegscaleField, regscaleFieldNames, regscaleFields } from '../issues/regscale-fields.ts';
import { severityLabel, statusLabel } from '../issues/regscale-values.ts';
import { version } from '../version.ts';
import type { IssueJson } from './issue-json.ts';

/** Where the OpenAPI document is served (Swagger UI's usual location, which tools look for). */
export const openApiDocumentPath = '/swagger/v1/swagger.json';

const dateTime = (description: string) => ({ type: 'string', format: 'date-time', description });
const nullable = (type: string, format: string, description: string) => ({
  type: [type, 'null'],
  format,
  description,
});

/**
 * The fields of an issue as `issueJson` writes them. Typed by its output, so
 * a field added there and not here (or the reverse) fails to compile.
 */
const issueProperties = {
  id: { type: 'integer', minimum: 1, description: 'The issue id, used in `/api/issues/{id}`.' },
  uuid: { type: 'string', format: 'uuid' },
  title: { type: 'string' },
  description: { type: ['string', 'null'] },
  severityLevel: { type: 'string', enum: Object.values(severityLabel) },
  status: { type: 'string', enum: Object.values(statusLabel) },
  dueDate: nullable('string', 'date-time', 'When it must be resolved by.'),
  dateCompleted: nullable('string', 'date-time', 'When it was closed.'),
  issueOwnerId: nullable('string', 'uuid', 'The user who owns it.'),
  createdById: nullable('string', 'uuid', 'The user who created it; null when a service account did.'),
  lastUpdatedById: nullable('string', 'uuid', 'The user who changed it last; null when a service account did.'),
  dateCreated: dateTime('When it was created.'),
  dateLastUpdated: dateTime('When it was changed last.'),
  ...(Object.fromEntries(
    regscaleFieldNames.map((name) => {
      const kind = regscaleFields[name];
      const description = `RegScale’s \`${name}\`.`;
      if (kind === 'date') return [name, nullable('string', 'date-time', description)];
      const type = kind === 'int' ? 'integer' : kind;
      return [name, { type: [type, 'null'], description }];
    }),
  ) as Record<RegscaleField, unknown>),
} satisfies Record<keyof IssueJson, unknown>;

const components = {
  securitySchemes: {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'A session token from `POST /api/authentication/login`, or a service-account token.',
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
          properties: {
            code: { type: 'string', description: 'Stable, for programs: `UNAUTHENTICATED`, `NOT_FOUND`, …' },
            message: { type: 'string', description: 'For people; may change.' },
          },
        },
      },
    },
    Issue: {
      type: 'object',
      // Every field is always present; the optional ones are null.
      required: Object.keys(issueProperties),
      properties: issueProperties,
      additionalProperties: false,
    },
    IssueInput: {
      type: 'object',
      description:
        'An issue to create or change, in RegScale’s shape. Only `title` is required on create. The server sets `id`, `uuid`, `createdById`, `lastUpdatedById`, `dateCreated` and `dateLastUpdated`; a client’s values for them, and fields not listed, are ignored. An empty string is null for dates and user ids.',
      properties: {
        ...Object.fromEntries(
          Object.entries(issueProperties).filter(
            ([name]) =>
              !['id', 'uuid', 'createdById', 'lastUpdatedById', 'dateCreated', 'dateLastUpdated'].includes(name),
          ),
        ),
        title: { type: 'string', minLength: 1, maxLength: 300 },
        description: { type: ['string', 'null'], maxLength: 20000 },
        severityLevel: {
          type: ['string', 'null'],
          description: `RegScale’s label (${Object.values(severityLabel).join(', ')}), its short word (Low, Medium, High, Critical) or the GraphQL enum name; default IV - Not Assigned.`,
        },
        status: {
          type: ['string', 'null'],
          description: `RegScale’s label (${Object.values(statusLabel).join(', ')}) or the GraphQL enum name; default Open.`,
        },
        dueDate: { type: ['string', 'null'], description: 'ISO 8601; without an offset, UTC.' },
        dateCompleted: { type: ['string', 'null'], description: 'ISO 8601; without an offset, UTC.' },
        issueOwnerId: { type: ['string', 'null'], description: 'A user id (uuid).' },
      },
      additionalProperties: true,
    },
  },
};

/** A response in the shared error shape, for a route's `docs`; `headers` are OpenAPI Header Objects. */
export function errorResponseDoc(description: string, headers?: Record<string, unknown>) {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
}

const uriTooLongDoc = errorResponseDoc('The URL is longer than `MAX_URL_LENGTH`.');

/** The `Retry-After` header of a 429 answer. */
export const retryAfterHeader = {
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 1 } },
};

/** The error responses every endpoint that needs a token may give. */
export const authErrorDocs = {
  '401': errorResponseDoc('Missing, invalid, expired or revoked token.', {
    'WWW-Authenticate': { description: 'The bearer challenge (RFC 6750).', schema: { type: 'string' } },
  }),
  '403': errorResponseDoc('The token lacks a role this endpoint requires; the message names the roles.'),
};

/** The error responses any endpoint that reads the database may give, whoever calls. */
export const availabilityErrorDocs = {
  '429': errorResponseDoc(
    'Too many requests from this token (or address); see `RATE_LIMIT_PER_MINUTE`.',
    retryAfterHeader,
  ),
  '503': errorResponseDoc('The database is unavailable; try again later.', retryAfterHeader),
};

/**
 * The OpenAPI 3.1 document of the REST API, built from the `docs` the
 * routes carry: a route without docs is not part of the public API.
 */
export function openApiDocument(routes: Route[]) {
  const paths: Record<string, Record<string, OperationDoc>> = {};
  for (const route of routes) {
    for (const [method, doc] of Object.entries(route.docs ?? {})) {
      // Authenticated writes take an Idempotency-Key (src/http/use-idempotency.ts).
      const keyed = method !== 'GET' && method !== 'HEAD' && (doc.security?.length ?? 0) > 0;
      const operation: OperationDoc = {
        ...doc,
        // No requirement means anonymous callers are answered: said explicitly, as linters ask.
        security: doc.security ?? [],
        ...(keyed
          ? { parameters: [...(doc.parameters ?? []), { $ref: '#/components/parameters/IdempotencyKey' }] }
          : {}),
        // Every request passes the HTTP limits first (src/http/use-http-limits.ts).
        responses: {
          ...doc.responses,
          '414': uriTooLongDoc,
          ...(keyed
            ? {
                '409':
                  doc.responses['409'] ??
                  errorResponseDoc(
                    'A request with this Idempotency-Key is still running (IDEMPOTENCY_IN_PROGRESS), or the change conflicts with stored state.',
                  ),
                '422': errorResponseDoc('This Idempotency-Key came with another request (IDEMPOTENCY_KEY_REUSED).'),
              }
            : {}),
        },
      };
      paths[route.path] = { ...paths[route.path], [method.toLowerCase()]: operation };
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
    components: {
      ...components,
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Makes a retry safe: the same key with the same request within 24 hours answers the first answer again (with `Idempotent-Replayed: true`) without doing the work again. 1 to 255 printable ASCII characters; per caller.',
          schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7E]+$' },
        },
      },
    },
    paths,
  };
}

/**
 * `GET /swagger/v1/swagger.json`: the document of `apiRoutes`, built once.
 * Revalidated on each use (`no-cache`), since it changes with each release.
 */
export function openApiRoute(apiRoutes: Route[]): Route {
  const body = JSON.stringify(openApiDocument(apiRoutes));
  return {
    path: openApiDocumentPath,
    summary: 'The OpenAPI 3.1 document of the REST API',
    methods: {
      GET: () =>
        new Response(body, {
          headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache' },
        }),
    },
  };
}
