import { createHash } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import { errorResponse, RateLimitedError } from '../errors.ts';

export interface RateLimitOptions {
  /** Requests a minute per key; the bucket holds as many (the burst). */
  perMinute: number;
  /** The client address of a request. */
  clientIp: (request: Request) => string;
  /** Paths never limited (health probes). */
  exempt?: string[];
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept at most; the least recently used go first. */
const maxBuckets = 100_000;

/**
 * A token bucket per credential (the bearer token, hashed) or, for
 * anonymous requests, per client address. An empty bucket answers 429 with
 * `Retry-After`, in the REST error shape or as a GraphQL error on
 * `/graphql`. Kept in memory per instance: losing it on restart only
 * refills the buckets.
 */
export function useRateLimit({ perMinute, clientIp, exempt = [], now = Date.now }: RateLimitOptions): Plugin {
  const buckets = new Map<string, Bucket>();
  const perMs = perMinute / 60_000;
  return {
    onRequest({ request, url, endResponse }) {
      if (perMinute === 0 || exempt.includes(url.pathname)) return;
      const authorization = request.headers.get('authorization');
      const key = authorization
        ? `t:${createHash('sha256').update(authorization).digest('base64url')}`
        : `a:${clientIp(request)}`;
      const at = now();
      const bucket = buckets.get(key) ?? { tokens: perMinute, at };
      bucket.tokens = Math.min(perMinute, bucket.tokens + (at - bucket.at) * perMs);
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
