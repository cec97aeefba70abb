import { randomUUID } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { Plugin } from 'graphql-yoga';
import { type Deadline, deadlineOf } from './deadline.ts';

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
  /** Its time limit, when it came through Node's server and its request timeout. */
  deadline?: Deadline;
}

/** Node's request, present when the server runs behind `node:http`. */
export interface NodeServerContext {
  req?: { socket?: { remoteAddress?: string } };
}

// On the request itself, not in a WeakMap keyed by it: an entry whose key dies young is work for
// every garbage collection.
const facts = Symbol('grc.requestFacts');
type WithFacts = Request & { [facts]?: RequestFacts };
const acceptedId = /^[\w.:-]{1,128}$/;

/** The facts of a request, made on first use (for requests that did not pass `useRequestFacts`). */
export function factsOf(request: WithFacts): RequestFacts {
  let entry = request[facts];
  if (!entry) {
    const given = request.headers.get('x-request-id');
    entry = {
      id: given && acceptedId.test(given) ? given : randomUUID(),
      at: performance.now(),
      clientAddress: 'unknown',
    };
    request[facts] = entry;
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

/** A proxy's address (`prefix` 32 or 128) or a CIDR range of proxies. */
export interface ProxyRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * Whose `X-Forwarded-For` is believed: nobody (`false`), whatever connects,
 * for one hop (`true`), or the listed proxies only.
 */
export type TrustProxy = boolean | readonly ProxyRange[];

export interface RequestFactsOptions {
  /** Whose `X-Forwarded-For` is believed. @default false */
  trustProxy?: TrustProxy;
}

const familyOf = (address: string) => {
  const version = isIP(address);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
};

/** The ranges as a `BlockList` (IPv4-mapped IPv6 addresses match their IPv4 ranges). */
export function proxyList(ranges: readonly ProxyRange[]): BlockList {
  const list = new BlockList();
  for (const { address, prefix, family } of ranges) list.addSubnet(address, prefix, family);
  return list;
}

/**
 * The client's address from the socket peer and `X-Forwarded-For`:
 * - `false`: the peer;
 * - `true`: the last forwarded address (the one the proxy in front appended), else the peer;
 * - a list: when the peer is a listed proxy, the forwarded addresses are read from the right,
 *   skipping listed proxies, and the first other one is the client (each was appended by a
 *   proxy we trust); an entry that is not an address ends the walk at the hop before it.
 */
export function clientAddressFrom(
  peer: string | undefined,
  forwardedFor: string | null,
  trust: boolean | BlockList,
): string | undefined {
  if (trust === false) return peer;
  const hops = forwardedFor?.split(',').map((h) => h.trim()) ?? [];
  if (trust === true) return hops.at(-1) || peer;
  if (!peer) return undefined;
  let client = peer;
  for (let i = hops.length - 1; ; i--) {
    const family = familyOf(client);
    if (!family || !trust.check(client, family)) return client;
    const hop = hops[i];
    if (!hop || !familyOf(hop)) return client;
    client = hop;
  }
}

/** Records each request's id, arrival time and client address as it arrives. */
export function useRequestFacts({ trustProxy = false }: RequestFactsOptions = {}): Plugin<object, NodeServerContext> {
  const trust = typeof trustProxy === 'boolean' ? trustProxy : proxyList(trustProxy);
  return {
    onRequest({ request, serverContext }) {
      const entry = factsOf(request);
      const peer = serverContext?.req?.socket?.remoteAddress;
      const address = clientAddressFrom(peer, request.headers.get('x-forwarded-for'), trust);
      if (address) entry.clientAddress = address;
      const deadline = deadlineOf(serverContext?.req);
      if (deadline) {
        deadline.requestId = entry.id;
        entry.deadline = deadline;
      }
    },
  };
}
