// The console's one way to the API: GraphQL over POST /graphql with the session token.
// Each operation is named, from src/admin/operations/*.graphql, and sent as the exact text of
// its trusted document (operations.js, written by `npm run codegen`), so the console works
// whatever TRUSTED_DOCUMENTS says.

import { operations } from './operations.js';

export const TOKEN_KEY = 'grc-admin-token';

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/**
 * Runs one of the console's operations by its name (`graphql('ConsoleMe')`). Text that names
 * no operation is sent as it is, which a server with TRUSTED_DOCUMENTS=require refuses.
 */
export async function graphql(operation, variables = {}) {
  const query = Object.hasOwn(operations, operation) ? operations[operation] : operation;
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) {
    const [error] = body.errors;
    if (error.extensions?.code === 'UNAUTHENTICATED' && token) {
      sessionStorage.removeItem(TOKEN_KEY);
      location.hash = '#/sign-in';
    }
    throw new ApiError(error.message, error.extensions?.code);
  }
  return body.data;
}
