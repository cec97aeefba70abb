import { createHash } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { errorResponse, RateLimitedError } from '../errors.ts';
import type { LimitsStore } from '../limits/store.ts';

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
  /** The clock of the in-memory buckets, in milliseconds (Redis keeps its own). @default Date.now */
  now?: () => number;
  /** Where the buckets are kept: Redis, shared by every instance, when it has one. @default this instance's memory */
  store?: LimitsStore;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept at most; the least recently used go first. */
const maxBuckets = 100_000;

/**
 * The same token bucket in Redis, as rate-limiter-flexible's custom
 * increment script (ARGV: points to take, window seconds, bucket size,
 * window seconds). It answers {consumed, ms}: consumed above the bucket size
 * refuses, and ms says when the next token comes. Redis's clock, so every
 * instance agrees on it; the key lives as long as the bucket takes to refill.
 */
const tokenBucketScript = `
local capacity = tonumber(ARGV[3])
local perMs = capacity / (tonumber(ARGV[4]) * 1000)
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local take = tonumber(ARGV[1])
local wait = 0
if tokens >= take then tokens = tokens - take else wait = math.ceil((take - tokens) / perMs) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / perMs) + 1000)
if wait > 0 then return {capacity + 1, wait} end
return {capacity - math.floor(tokens), 0}
`;

/** Seconds until a refused request may try again: when the next token comes, at least 1. */
const retryAfterOf = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * A token bucket per credential (the verified token's id) or, for requests
 * without a valid token, per client address. An empty bucket answers 429
 * with `Retry-After`, in the REST error shape or as a GraphQL error on
 * `/graphql`. Kept in Redis, shared by every instance, when the store has
 * it (and in this instance's memory whenever Redis does not answer); else
 * in memory per instance. Losing the buckets only refills them.
 */
export function useRateLimit({
  perMinute,
  clientIp,
  identify = () => Promise.resolve(null),
  exempt = [],
  now = Date.now,
  store,
}: RateLimitOptions): Plugin {
  const buckets = new Map<string, Bucket>();
  const perMs = perMinute / 60_000;
  const client = perMinute > 0 ? store?.connection('budget') : undefined;
  const shared =
    client &&
    new RateLimiterRedis({
      storeClient: client,
      keyPrefix: `${store?.prefix}rate`,
      points: perMinute,
      duration: 60,
      customIncrTtlLuaScript: tokenBucketScript,
      rejectIfRedisNotReady: true,
    });

  /** Takes a token from the key's bucket in memory; answers the seconds to wait when there is none. */
  const takeLocal = (key: string): number | undefined => {
    const at = now();
    const bucket = buckets.get(key) ?? { tokens: perMinute, at };
    bucket.tokens = Math.min(perMinute, bucket.tokens + Math.max(0, at - bucket.at) * perMs);
    bucket.at = at;
    buckets.delete(key);
    buckets.set(key, bucket);
    if (buckets.size > maxBuckets) buckets.delete(buckets.keys().next().value as string);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return retryAfterOf((1 - bucket.tokens) / perMs);
  };

  /**
   * The same in Redis, under the key's hash (no addresses or token ids in Redis); a refusal comes
   * back as a RateLimiterRes, anything else is Redis failing.
   */
  const takeShared = async (limiter: RateLimiterRedis, key: string): Promise<number | undefined> => {
    try {
      await limiter.consume(createHash('sha256').update(key).digest('base64url'));
      return undefined;
    } catch (refused) {
      if (refused instanceof RateLimiterRes) return retryAfterOf(refused.msBeforeNext);
      throw refused;
    }
  };

  return {
    async onRequest({ request, url, endResponse }) {
      if (perMinute === 0 || exempt.includes(url.pathname)) return;
      const credential = await identify(request);
      const key = credential !== null ? `t:${credential}` : `a:${clientIp(request)}`;
      const retryAfter =
        store && shared
          ? await store.run(
              client,
              () => takeShared(shared, key),
              () => takeLocal(key),
            )
          : takeLocal(key);
      if (retryAfter === undefined) return;
      endResponse(errorResponse(new RateLimitedError(retryAfter), url.pathname === '/graphql' ? 'graphql' : 'rest'));
    },
  };
}
