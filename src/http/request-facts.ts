import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';

/** What the server knows of one request, gathered as it is handled; read by logs, metrics and audit. */
export interface RequestFacts {
  /** The caller's `X-Request-Id` when well-formed, else a new UUID. */
  id: string;
  /** `performance.now()` when the request arrived. */
  at: number;
  /** The client's address: the socket's, or the proxy's `X-Forwarded-For` behind a trusted proxy. */
  clientAddress: string;
  /** The GraphQL operation name, once known. */
  operation?: string;
  /** Who made the request (`user:<id>` or `service-account:<id>`), once authenticated. */
  actor?: string;
}

/** Node's request, present when the server runs behind `node:http`. */
export interface NodeServerContext {
  req?: { socket?: { remoteAddress?: string } };
}

const facts = new WeakMap<Request, RequestFacts>();
const acceptedId = /^[\w.:-]{1,128}$/;

/** The facts of a request, made on first use (for requests that did not pass `useRequestFacts`). */
export function factsOf(request: Request): RequestFacts {
  let entry = facts.get(request);
  if (!entry) {
    const given = request.headers.get('x-request-id');
    entry = {
      id: given && acceptedId.test(given) ? given : randomUUID(),
      at: performance.now(),
      clientAddress: 'unknown',
    };
    facts.set(request, entry);
  }
  return entry;
}

/** The id of a request. */
export function requestIdOf(request: Request): string {
  return factsOf(request).id;
}

/** The client address of a request. */
export function clientAddressOf(request: Request): string {
  return factsOf(request).clientAddress;
}

export interface RequestFactsOptions {
  /** Believe the last `X-Forwarded-For` address (the one our proxy appended). @default false */
  trustProxy?: boolean;
}

/** Records each request's id, arrival time and client address as it arrives. */
export function useRequestFacts({ trustProxy = false }: RequestFactsOptions = {}): Plugin<object, NodeServerContext> {
  return {
    onRequest({ request, serverContext }) {
      const entry = factsOf(request);
      // Behind a trusted proxy, the client is the address the proxy appended last.
      const forwarded = trustProxy ? request.headers.get('x-forwarded-for')?.split(',').at(-1)?.trim() : undefined;
      const address = forwarded || serverContext?.req?.socket?.remoteAddress;
      if (address) entry.clientAddress = address;
    },
  };
}
