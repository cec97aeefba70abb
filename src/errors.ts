import { GraphQLError } from 'graphql';
import {
  isDatabaseUnavailable,
  isSerializationFailure,
  isStatementTimeout,
  type StorageFault,
  storageFaultOf,
} from './db/errors.ts';
import { jsonResponse } from './http/json-response.ts';

/**
 * Every code the server sends, in GraphQL `extensions.code` and REST
 * `error.code`. Codes that graphql-yoga and graphql-js give their own
 * errors are listed too, so that this union is the whole set.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'IDEMPOTENCY_IN_PROGRESS'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'LENGTH_REQUIRED'
  | 'PAYLOAD_TOO_LARGE'
  | 'URI_TOO_LONG'
  | 'RATE_LIMITED'
  | 'CSRF_PREVENTED'
  | 'GRAPHQL_PARSE_FAILED'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'OPERATION_NOT_SUPPORTED'
  | 'OPERATION_RESOLUTION_FAILURE'
  | 'PERSISTED_QUERY_NOT_FOUND'
  | 'PERSISTED_QUERY_NOT_IN_LIST'
  | 'QUERY_NOT_IN_SAFELIST'
  | 'SERVICE_UNAVAILABLE'
  | 'STORAGE_FULL'
  | 'STORAGE_READ_ONLY'
  | 'DATABASE_BUSY'
  | 'REQUEST_TIMEOUT'
  | 'OUTCOME_UNKNOWN'
  | 'INTERNAL_SERVER_ERROR';

interface AppErrorOptions {
  /** Extra fields of `extensions` (GraphQL) and of `error` (REST), e.g. `field`. */
  details?: Record<string, unknown>;
  /** Headers of the HTTP answer (`WWW-Authenticate`, `Retry-After`, `Allow`). */
  headers?: Record<string, string>;
}

/**
 * An error meant for the client: its message and code are shown as they
 * are, with the HTTP status (and headers) that REST and GraphQL-over-HTTP
 * answer with in `extensions.http`. Anything that is not an `AppError` is
 * turned into one by `toAppError`, which masks it.
 */
export class AppError extends GraphQLError {
  readonly details: Record<string, unknown>;

  constructor(
    message: string,
    readonly code: ErrorCode,
    readonly status: number,
    options: AppErrorOptions = {},
  ) {
    super(message, {
      extensions: {
        ...options.details,
        code,
        http: { status, ...(options.headers ? { headers: options.headers } : {}) },
      },
    });
    this.details = options.details ?? {};
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

/**
 * A request named a trusted document by an id the server does not hold.
 * HTTP 404, never cached. With TRUSTED_DOCUMENTS=allow it is APQ's
 * PERSISTED_QUERY_NOT_FOUND, on which a client sends the text instead (which
 * runs); with `require` it is PERSISTED_QUERY_NOT_IN_LIST, as Apollo's router
 * and yoga's plugin say when the text would not run either.
 */
export class PersistedQueryNotFoundError extends AppError {
  constructor(mode: 'allow' | 'require') {
    super(
      mode === 'allow'
        ? 'Persisted document not found: send the query text instead'
        : 'Persisted document not found: this server runs only its trusted documents',
      mode === 'allow' ? 'PERSISTED_QUERY_NOT_FOUND' : 'PERSISTED_QUERY_NOT_IN_LIST',
      404,
      { headers: { 'Cache-Control': 'no-store' } },
    );
  }
}

/**
 * With TRUSTED_DOCUMENTS=require, a query whose text is not one of the
 * trusted documents (Apollo's router's code). HTTP 403, never cached; the
 * message says nothing of the schema.
 */
export class QueryNotInSafelistError extends AppError {
  constructor() {
    super(
      'This server runs only its trusted documents: send a listed document, by its hash or its exact text',
      'QUERY_NOT_IN_SAFELIST',
      403,
      { headers: { 'Cache-Control': 'no-store' } },
    );
  }
}

/** A dependency (the database) is down; the request may be retried. HTTP 503. */
export class ServiceUnavailableError extends AppError {
  constructor(message = 'Service temporarily unavailable: try again shortly') {
    super(message, 'SERVICE_UNAVAILABLE', 503, { headers: { 'Retry-After': '5' } });
  }
}

/** What the client is told of each storage fault: its code, message and when to retry. */
const storageAnswers: Record<StorageFault, { code: ErrorCode; message: string; retryAfter: string }> = {
  full: {
    code: 'STORAGE_FULL',
    message: "The server's storage is full: nothing was saved. Try again later.",
    retryAfter: '60',
  },
  readOnly: {
    code: 'STORAGE_READ_ONLY',
    message: 'The database is read-only at the moment: nothing was saved. Reading still works; try again later.',
    retryAfter: '60',
  },
  busy: {
    code: 'DATABASE_BUSY',
    message: 'The database stayed locked by other work for too long: nothing was saved. Try again.',
    retryAfter: '2',
  },
};

/**
 * The database is there but cannot take this write (full, read-only, or
 * locked for longer than we wait); nothing was saved. HTTP 503 with
 * `Retry-After`.
 */
export class StorageError extends AppError {
  constructor(readonly fault: StorageFault) {
    const { code, message, retryAfter } = storageAnswers[fault];
    super(message, code, 503, { headers: { 'Retry-After': retryAfter } });
  }
}

/**
 * The work ran out of time, or lost its database connection, while its
 * COMMIT was on the way (or after part of it was saved): the server cannot
 * tell whether it was saved. HTTP 500 with no `Retry-After`, as a request
 * whose result is indeterminate (Stripe's word): the client looks before it
 * retries (the audit trail records each change with the request's id), or
 * retries with the same Idempotency-Key, which stays claimed until it
 * expires so that the work is never done twice.
 */
export class OutcomeUnknownError extends AppError {
  constructor(requestId?: string) {
    super(
      "The server cannot tell whether this change was saved: its database connection broke, or its time ran out, while it was being committed. Check before retrying (the audit trail records each change with the request's id).",
      'OUTCOME_UNKNOWN',
      500,
      requestId ? { details: { requestId }, headers: { 'X-Request-Id': requestId } } : {},
    );
  }
}

/**
 * A transaction did not finish within its request's time limit and was
 * rolled back: nothing was saved. HTTP 503 with `Retry-After`.
 */
export class TransactionTimeoutError extends AppError {
  constructor() {
    super(
      "The work did not finish within the request's time limit and was stopped (a change is rolled back): nothing was saved. Try again.",
      'REQUEST_TIMEOUT',
      503,
      { headers: { 'Retry-After': '1' } },
    );
  }
}

/** Something unexpected; the client learns only the request id, the log has the rest. HTTP 500. */
export class InternalServerError extends AppError {
  constructor(requestId: string) {
    super(`Unexpected error (request id ${requestId})`, 'INTERNAL_SERVER_ERROR', 500, { details: { requestId } });
  }
}

/** Where `toAppError` reports what the client is not told. */
export interface ErrorReporter {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * The one mapping from any error to what the client is told: an `AppError`
 * as it is; a full, read-only or locked database as STORAGE_FULL,
 * STORAGE_READ_ONLY or DATABASE_BUSY (503), logged with the driver's code;
 * an unreachable database as SERVICE_UNAVAILABLE (503); anything
 * else as INTERNAL_SERVER_ERROR carrying only the request id, with the
 * error itself logged. GraphQL (`useErrorCodes`) and REST (`errorResponse`)
 * both go through it.
 */
export function toAppError(error: unknown, requestId: string, log: ErrorReporter): AppError {
  if (error instanceof AppError) return error;
  // Before "unavailable": the SQLite adapter reports SQLITE_BUSY as a socket timeout.
  const storage = storageFaultOf(error);
  if (storage) {
    const answer = new StorageError(storage.fault);
    // Full or read-only storage needs an operator; a lock wait is load.
    log[storage.fault === 'busy' ? 'warn' : 'error'](
      { code: answer.code, cause: storage.cause, requestId },
      `database refused a write: ${answer.code}`,
    );
    return answer;
  }
  if (isSerializationFailure(error)) {
    // transact ran it again a few times already.
    log.warn({ requestId }, 'a transaction kept losing to concurrent changes');
    return new ConflictError('The change met concurrent changes and was rolled back: nothing was saved. Try again.');
  }
  if (isStatementTimeout(error)) {
    log.warn({ requestId }, 'a statement outlived its time limit and was cancelled');
    return new TransactionTimeoutError();
  }
  if (isDatabaseUnavailable(error)) {
    log.warn({ err: (error as Error).message, requestId }, 'database unavailable');
    return new ServiceUnavailableError();
  }
  log.error({ err: error, requestId }, 'unexpected error');
  return new InternalServerError(requestId);
}

/**
 * The body of an error answer: REST's `{ "error": { "code", "message" } }`,
 * or, for `/graphql`, a GraphQL-over-HTTP result with one error.
 */
export function errorBody(error: AppError, shape: 'rest' | 'graphql' = 'rest'): object {
  if (shape === 'graphql')
    return { errors: [{ message: error.message, extensions: { code: error.code, ...error.details } }] };
  return { error: { code: error.code, message: error.message } };
}

/** The HTTP answer of an error: its status, its headers and `errorBody`. */
export function errorResponse(error: AppError, shape: 'rest' | 'graphql' = 'rest'): Response {
  return jsonResponse(errorBody(error, shape), { status: error.status, headers: error.headers });
}
