import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

/**
 * How limits count right now: `per-instance` (no Redis configured: each
 * instance in its own memory), `shared` (in Redis, across every instance) or
 * `fallback` (Redis configured but not answering: each instance in its own
 * memory until it answers again).
 */
export type LimitsState = 'per-instance' | 'shared' | 'fallback';

/** The longest pause between two reconnection attempts. */
const maxReconnectDelayMs = 2000;
/**
 * After a command fails on a connection that stays open (a Redis that
 * stalls), requests count in memory this long before one tries Redis again:
 * a stalled Redis costs one timeout a second, not one per request.
 */
const retryAfterFailureMs = 1000;

/**
 * Where the request budget and the login throttle keep their counts: in
 * Redis when `REDIS_URL` is set (so that every instance shares them), else in
 * this instance's memory. Each limit keeps a memory copy of its own and
 * uses it whenever Redis does not answer ({@link LimitsStore.run}): a request
 * never fails or waits because Redis is down, longer than the timeout. A
 * change of state is logged once, not per request; ioredis reconnects on its
 * own, and the first command that succeeds makes the limits shared again.
 */
export class LimitsStore {
  /** Put before every key. */
  readonly prefix: string;
  readonly #connections = new Map<'budget' | 'login', Redis>();
  readonly #log: Logger;
  readonly #url: string | undefined;
  #state: LimitsState;
  #stopping = false;
  /** Until when (Date.now) Redis is not asked, after a command failed. */
  #skipUntil = 0;

  constructor(config: Config['limits'], log: Logger) {
    this.prefix = config.redisKeyPrefix;
    this.#log = log;
    this.#url = config.redisUrl;
    this.#state = config.redisUrl ? 'fallback' : 'per-instance';
    const options: RedisOptions = {
      connectTimeout: config.redisTimeoutMs,
      commandTimeout: config.redisTimeoutMs,
      // A command while disconnected fails at once (the limit counts in memory) instead of queueing.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times: number) => Math.min(times * 100, maxReconnectDelayMs),
    };
    if (!config.redisUrl) return;
    for (const limit of ['budget', 'login'] as const) {
      const client = new Redis(config.redisUrl, options);
      client.on('ready', () => {
        this.#skipUntil = 0;
        this.#settle();
      });
      // ioredis reports each failed connection attempt here; the state says it once.
      client.on('error', (error: Error) => this.#fallBack(error));
      client.on('close', () => this.#fallBack());
      this.#connections.set(limit, client);
    }
  }

  get #clients(): Redis[] {
    return [...this.#connections.values()];
  }

  /** `redis` when REDIS_URL is set, else `memory`. */
  get store(): 'redis' | 'memory' {
    return this.#url ? 'redis' : 'memory';
  }

  state(): LimitsState {
    return this.#state;
  }

  /**
   * The connection of one limit, or undefined without Redis. Each limit has
   * its own: rate-limiter-flexible loads each limit's Lua script under one
   * name per connection.
   */
  connection(limit: 'budget' | 'login'): Redis | undefined {
    return this.#connections.get(limit);
  }

  /** Waits (up to the timeout) for the connections to be ready; serving starts either way. */
  async ready(timeoutMs: number): Promise<void> {
    if (this.#clients.length === 0) return;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.#clients.some((c) => c.status !== 'ready')) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (this.#state !== 'shared') {
      this.#log.warn('Redis does not answer: limits are counted per instance until it does');
    }
  }

  /**
   * Runs `shared` against Redis when the connection is ready, else (or when
   * it fails: refused, closed, timed out) `local` in this instance's memory.
   */
  async run<T>(client: Redis | undefined, shared: () => Promise<T>, local: () => T): Promise<T> {
    if (!client) return local();
    if (client.status !== 'ready' || Date.now() < this.#skipUntil) {
      this.#fallBack();
      return local();
    }
    try {
      const result = await shared();
      this.#settle();
      return result;
    } catch (error) {
      this.#skipUntil = Date.now() + retryAfterFailureMs;
      this.#fallBack(error as Error);
      return local();
    }
  }

  /** Shared again once every connection is ready and answers. */
  #settle(): void {
    if (this.#state === 'shared' || Date.now() < this.#skipUntil) return;
    if (this.#clients.some((c) => c.status !== 'ready')) return;
    this.#state = 'shared';
    this.#log.info({ prefix: this.prefix }, 'limits shared through Redis');
  }

  #fallBack(error?: Error): void {
    if (this.#state !== 'shared' || this.#stopping) return;
    this.#state = 'fallback';
    // The message only (ECONNREFUSED, a timeout): never the URL, which may carry a password.
    this.#log.warn(
      { cause: error?.message ?? 'connection closed' },
      'Redis does not answer: limits are counted per instance until it does',
    );
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#clients.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
