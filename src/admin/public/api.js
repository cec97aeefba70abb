// The console's one way to the API: GraphQL over POST /graphql with the session token.

export const TOKEN_KEY = 'grc-admin-token';

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export async function graphql(query, variables = {}) {
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
