import type { Plugin } from 'graphql-yoga';
import { errorResponse, RateLimitedError } from '../errors.ts';

export interface RateLimitOptions {
  /** Requests a minute per key; the bucket holds as many (the burst). */
  perMinute: number;
  /** The client address of a request. */
  clientIp: (request: Request) => string;
  /**
   * The credential a request carries, as a stable key (the same however the
   * header is spelled), or null when it carries none that verifies; those
   * requests share their client address's budget.
   * @default () => Promise.resolve(null)
   */
  identify?: (request: Request) => Promise<string | null>;
  /** Paths never limited (health probes). */
  exempt?: string[];
  /** The clock, in milliseconds. @default Date.now */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept at most; the least recently used go first. */
const maxBuckets = 100_000;

/**
 * A token bucket per credential (the verified token's id) or, for requests
 * without a valid token, per client address. An empty bucket answers 429
 * with `Retry-After`, in the REST error shape or as a GraphQL error on
 * `/graphql`. Kept in memory per instance: losing it on restart only
 * refills the buckets.
 */
export function useRateLimit({
  perMinute,
  clientIp,
  identify = () => Promise.resolve(null),
  exempt = [],
  now = Date.now,
}: RateLimitOptions): Plugin {
  const buckets = new Map<string, Bucket>();
  const perMs = perMinute / 60_000;
  return {
    async onRequest({ request, url, endResponse }) {
      if (perMinute === 0 || exempt.includes(url.pathname)) return;
      const credential = await identify(request);
      const key = credential !== null ? `t:${credential}` : `a:${clientIp(request)}`;
      const at = now();
      const bucket = buckets.get(key) ?? { tokens: perMinute, at };
      bucket.tokens = Math.min(perMinute, bucket.tokens + Math.max(0, at - bucket.at) * perMs);
      bucket.at = at;
      buckets.delete(key);
      buckets.set(key, bucket);
      if (buckets.size > maxBuckets) buckets.delete(buckets.keys().next().value as string);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
      endResponse(errorResponse(new RateLimitedError(retryAfter), url.pathname === '/graphql' ? 'graphql' : 'rest'));
    },
  };
}
