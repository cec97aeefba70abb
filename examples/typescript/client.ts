/**
 * A typed GraphQL client with plain fetch: the documents and their types
 * are generated from operations.graphql against schema.graphql
 * (`npm run codegen`), so a breaking change in the API fails its typecheck.
 *
 *   GRC_URL=http://127.0.0.1:4000 ADMIN_USERNAME=admin ADMIN_PASSWORD=... npx tsx examples/typescript/client.ts
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import {
  ExampleCreateServiceAccountDocument,
  ExampleLoginDocument,
  ExampleOpenIssuesDocument,
  type ExampleOpenIssuesQuery,
} from './generated/operations.ts';

const url = process.env.GRC_URL ?? 'http://127.0.0.1:4000';

/** Runs one operation; its variables and result are typed by the document. */
async function request<TResult, TVariables>(
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  token?: string,
): Promise<TResult> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as {
    data?: TResult;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  if (body.errors?.length || !body.data) {
    const [error] = body.errors ?? [];
    throw new Error(`${error?.extensions?.code ?? response.status}: ${error?.message ?? 'no data'}`);
  }
  return body.data;
}

const { login } = await request(ExampleLoginDocument, {
  userName: process.env.ADMIN_USERNAME ?? 'admin',
  password: process.env.ADMIN_PASSWORD ?? '',
});
const { createServiceAccount } = await request(
  ExampleCreateServiceAccountDocument,
  { durationDays: 7, purpose: 'Typed client example' },
  login.token,
);
console.log(
  `service account ${createServiceAccount.serviceAccount.id} expires ${createServiceAccount.serviceAccount.expiresAt}`,
);

let after: string | null = null;
let open = 0;
do {
  const page: ExampleOpenIssuesQuery = await request(
    ExampleOpenIssuesDocument,
    { first: 100, after },
    createServiceAccount.token,
  );
  open += page.issues.edges.length;
  after = page.issues.pageInfo.hasNextPage ? page.issues.pageInfo.endCursor : null;
} while (after);
console.log(`${open} open issues`);
