import { GraphQLError } from 'graphql';

/** The closed set of error codes clients see, in GraphQL `extensions.code` and REST `error.code`. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE';

/**
 * An error meant for the client: its message and code are shown as they are,
 * with the HTTP status (and headers) that REST and GraphQL-over-HTTP answer
 * with in `extensions.http`. Anything that is not an `AppError` is masked.
 */
export abstract class AppError extends GraphQLError {
  constructor(
    message: string,
    readonly code: ErrorCode,
    readonly status: number,
    options: { details?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message, {
      extensions: {
        ...options.details,
        code,
        http: { status, ...(options.headers ? { headers: options.headers } : {}) },
      },
    });
  }

  /** Headers the HTTP answer carries (`WWW-Authenticate`, `Retry-After`). */
  get headers(): Record<string, string> {
    return (this.extensions.http as { headers?: Record<string, string> }).headers ?? {};
  }
}

/**
 * No valid credentials. HTTP 401 with a `WWW-Authenticate` challenge: a
 * plain `Bearer` one when none were sent, `error="invalid_token"` when the
 * token sent was malformed, expired, revoked or forged (RFC 6750 §3.1).
 */
export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required: send a valid bearer token', invalidToken = false) {
    super(message, 'UNAUTHENTICATED', 401, {
      headers: {
        'WWW-Authenticate': invalidToken ? 'Bearer realm="grc-api", error="invalid_token"' : 'Bearer realm="grc-api"',
      },
    });
  }
}

/** Valid credentials without the role a rule needs. HTTP 403. */
export class ForbiddenError extends AppError {
  constructor(message = 'Not authorized: this requires a role you do not have') {
    super(message, 'FORBIDDEN', 403);
  }
}

/** Input that fails validation; `field` names the offending argument or input field. HTTP 400. */
export class BadUserInputError extends AppError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message, 'BAD_USER_INPUT', 400, { details: field ? { field } : {} });
  }
}

/** The thing asked for does not exist. HTTP 404. */
export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super(message, 'NOT_FOUND', 404);
  }
}

/** The request conflicts with stored state (a duplicate name, the last administrator). HTTP 409. */
export class ConflictError extends AppError {
  constructor(message: string) {
    super(message, 'CONFLICT', 409);
  }
}

/** Too many requests; `retryAfterSeconds` says when to try again. HTTP 429. */
export class RateLimitedError extends AppError {
  constructor(
    readonly retryAfterSeconds: number,
    message = 'Too many requests: try again later',
  ) {
    super(message, 'RATE_LIMITED', 429, {
      details: { retryAfterSeconds },
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

/** A dependency (the database) is down; the request may be retried. HTTP 503. */
export class ServiceUnavailableError extends AppError {
  constructor(message = 'Service temporarily unavailable: try again shortly') {
    super(message, 'SERVICE_UNAVAILABLE', 503, { headers: { 'Retry-After': '5' } });
  }
}
