// The console's one way to the server: `request`, with the session token. GraphQL goes over
// POST /graphql through it; the audit export is its one REST call. Each GraphQL operation is
// named, from src/admin/operations/*.graphql, and sent as the exact text of its trusted
// document (operations.js, written by `npm run codegen`), so the console works whatever
// TRUSTED_DOCUMENTS says.

import { operations } from './operations.js';

export const TOKEN_KEY = 'grc-admin-token';

/** A refusal or failure, as the server named it: `code` (extensions.code), `field` when it names one. */
export class ApiError extends Error {
  constructor(message, code, field = null) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

/** Called when the session is gone (a refused token): the app goes back to the sign-in page. */
let onSignedOut = () => {};
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

/** Forgets the session token here (the server has ended it) and tells the app. */
export function forgetSession() {
  sessionStorage.removeItem(TOKEN_KEY);
  onSignedOut();
}

/** The one request function: every call the console makes goes through here. */
export async function request(path, { method = 'GET', body, accept = 'application/json' } = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        accept,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('The server could not be reached.', 'NETWORK');
  }
  if (response.status === 401 && token) forgetSession();
  return response;
}

/**
 * Runs one of the console's operations by its name (`graphql('ConsoleMe')`). Text that names
 * no operation is sent as it is, which a server with TRUSTED_DOCUMENTS=require refuses.
 */
export async function graphql(operation, variables = {}) {
  const query = Object.hasOwn(operations, operation) ? operations[operation] : operation;
  const response = await request('/graphql', {
    method: 'POST',
    body: { query, variables },
    accept: 'application/graphql-response+json',
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError('The server answered something the console cannot read.', 'BAD_RESPONSE');
  }
  if (body.errors?.length) {
    const [error] = body.errors;
    throw new ApiError(error.message, error.extensions?.code ?? 'UNKNOWN', error.extensions?.field ?? null);
  }
  return body.data;
}

/** A REST download (the audit export): answers a Blob, or throws the server's error. */
export async function download(path) {
  const response = await request(path, { accept: 'application/x-ndjson, application/json' });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new ApiError(
      body.error?.message ?? `HTTP ${response.status}`,
      body.error?.code ?? 'UNKNOWN',
      body.error?.field,
    );
  }
  return response.blob();
}
