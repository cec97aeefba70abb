import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { LimitsStore } from '../limits/store.ts';

/** Failures are forgotten this long after the last one. */
const windowMs = 15 * 60_000;
/** The longest a refusal lasts. */
const maxLockoutMs = 15 * 60_000;
/** Entries kept at most; the oldest go first. Bounds memory under a spray of names. */
const maxEntries = 100_000;

interface Entry {
  failures: number;
  lastFailure: number;
  lockedUntil: number;
}

export interface LoginThrottleOptions {
  /** Failures of one user name from one address before attempts are refused. */
  threshold: number;
  /** First refusal, doubled with each further failure up to 15 minutes. */
  lockoutSeconds: number;
  /** What each failure past a counter's start adds to the delay. @default 250 */
  delayStepMs?: number;
  /** The longest delay of an attempt: a delay slows guessing down, it never blocks. @default 2000 */
  maxDelayMs?: number;
  /** The clock of the in-memory counters (Redis keeps its own). @default Date.now */
  now?: () => number;
  /** Where the counters are kept: Redis, shared by every instance, when it has one. @default this instance's memory */
  store?: LimitsStore;
}

export type ThrottleDecision = { refuseForSeconds: number } | { delayMs: number };

/** One counter of failures: where its delays start, and where it refuses (never, for the user-wide one). */
interface Counter {
  key: string;
  /** Failures from which each attempt is slowed down. */
  delayFrom: number;
  /** Failures at which attempts are refused; undefined: never refused, only slowed. */
  refuseAt: number | undefined;
}

/**
 * Slows down, then refuses, repeated failed logins (the OWASP authentication
 * cheat sheet's account lockout). Three counters:
 * - user name + address: `threshold` failures lock that pair out; the last
 *   two before are slowed;
 * - user name from anywhere: from 2 × `threshold` failures every attempt is
 *   slowed, up to `maxDelayMs`, and never refused, so failures from many
 *   addresses can slow a user down but never lock them out of an address
 *   that has not failed;
 * - address, any user name (password spraying): slowed from 2 × `threshold`
 *   failures, more with each, and refused at 10 × `threshold`.
 * Kept in Redis, shared by every instance, when the store has it (and in
 * this instance's memory whenever Redis does not answer); else in memory per
 * instance. Losing the counters only resets them.
 */
export class LoginThrottle {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #step: number;
  readonly #maxDelay: number;
  readonly #shared: SharedCounters | undefined;

  constructor(private readonly options: LoginThrottleOptions) {
    this.#now = options.now ?? Date.now;
    this.#step = options.delayStepMs ?? 250;
    this.#maxDelay = options.maxDelayMs ?? 2000;
    const client = options.store?.connection('login');
    this.#shared = client && options.store ? new SharedCounters(client, options.store.prefix) : undefined;
  }

  /** Runs `shared` on the counters in Redis when there is one that answers, else `local` in memory. */
  #run<T>(shared: (counters: SharedCounters) => Promise<T>, local: () => T): Promise<T> {
    const counters = this.#shared;
    if (!counters || !this.options.store) return Promise.resolve(local());
    return this.options.store.run(counters.client, () => shared(counters), local);
  }

  /** How long a refusing counter that reached `failures` refuses, in milliseconds. */
  #lockoutMs(failures: number, refuseAt: number): number {
    return Math.min(maxLockoutMs, this.options.lockoutSeconds * 1000 * 2 ** (failures - refuseAt));
  }

  /** The decision from each counter's failures and the milliseconds left of its refusal. */
  #decide(counters: Counter[], states: ({ failures: number; lockedMs: number } | undefined)[]): ThrottleDecision {
    let delayMs = 0;
    for (const [i, { delayFrom }] of counters.entries()) {
      const state = states[i];
      if (!state) continue;
      if (state.lockedMs > 0) return { refuseForSeconds: Math.ceil(state.lockedMs / 1000) };
      if (state.failures >= delayFrom) delayMs = Math.max(delayMs, this.#step * (state.failures - delayFrom + 1));
    }
    return { delayMs: Math.min(this.#maxDelay, delayMs) };
  }

  #counters(userKey: string, address: string): Counter[] {
    const t = this.options.threshold;
    return [
      { key: `pair:${userKey}\u0000${address}`, delayFrom: t - 2, refuseAt: t },
      { key: `user:${userKey}`, delayFrom: 2 * t, refuseAt: undefined },
      { key: `addr:${address}`, delayFrom: 2 * t, refuseAt: 10 * t },
    ];
  }

  #get(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && now - entry.lastFailure > windowMs && now >= entry.lockedUntil) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Whether an attempt may go ahead now, and how long to hold it first. */
  check(userKey: string, address: string): Promise<ThrottleDecision> {
    const counters = this.#counters(userKey, address);
    return this.#run(
      async (shared) => this.#decide(counters, await Promise.all(counters.map(({ key }) => shared.read(key)))),
      () => {
        const now = this.#now();
        const states = counters.map(({ key }) => {
          const entry = this.#get(key, now);
          return entry && { failures: entry.failures, lockedMs: Math.max(0, entry.lockedUntil - now) };
        });
        return this.#decide(counters, states);
      },
    );
  }

  /** Counts a failed attempt; locks out a refusing counter that reached its limit. */
  recordFailure(userKey: string, address: string): Promise<void> {
    const counters = this.#counters(userKey, address);
    return this.#run(
      async (shared) => {
        await Promise.all(
          counters.map(async ({ key, refuseAt }) => {
            const failures = await shared.fail(key);
            if (refuseAt !== undefined && failures >= refuseAt) {
              await shared.lock(key, this.#lockoutMs(failures, refuseAt));
            }
          }),
        );
      },
      () => {
        const now = this.#now();
        for (const { key, refuseAt } of counters) {
          const entry = this.#get(key, now) ?? { failures: 0, lastFailure: now, lockedUntil: 0 };
          entry.failures += 1;
          entry.lastFailure = now;
          if (refuseAt !== undefined && entry.failures >= refuseAt) {
            entry.lockedUntil = now + this.#lockoutMs(entry.failures, refuseAt);
          }
          this.#entries.delete(key);
          this.#entries.set(key, entry);
        }
        while (this.#entries.size > maxEntries) {
          const oldest = this.#entries.keys().next().value;
          if (oldest === undefined) break;
          this.#entries.delete(oldest);
        }
      },
    );
  }

  /** A successful login clears the counters of that user name from that address. */
  recordSuccess(userKey: string, address: string): Promise<void> {
    const [pair] = this.#counters(userKey, address);
    const key = pair?.key ?? '';
    return this.#run(
      (shared) => shared.clear(key),
      () => void this.#entries.delete(key),
    );
  }
}

/**
 * The counters in Redis (rate-limiter-flexible): a failure count per
 * counter, its expiry pushed back to the window with each failure, and a
 * refusal as a blocked key that expires when the refusal ends. Keys are
 * hashed, so Redis holds no user names or addresses.
 */
class SharedCounters {
  readonly #failures: RateLimiterRedis;
  readonly #locks: RateLimiterRedis;

  constructor(
    readonly client: Redis,
    prefix: string,
  ) {
    const windowSeconds = windowMs / 1000;
    const common = { storeClient: client, duration: windowSeconds, rejectIfRedisNotReady: true };
    // Failures are only counted here, never refused: the throttle decides.
    this.#failures = new RateLimiterRedis({
      ...common,
      keyPrefix: `${prefix}login-failures`,
      points: Number.MAX_SAFE_INTEGER,
    });
    this.#locks = new RateLimiterRedis({ ...common, keyPrefix: `${prefix}login-lock`, points: 1 });
  }

  #hash(key: string): string {
    return createHash('sha256').update(key).digest('base64url');
  }

  async read(key: string): Promise<{ failures: number; lockedMs: number } | undefined> {
    const hashed = this.#hash(key);
    const [failures, lock] = await Promise.all([this.#failures.get(hashed), this.#locks.get(hashed)]);
    if (!failures && !lock) return undefined;
    return { failures: failures?.consumedPoints ?? 0, lockedMs: lock && lock.msBeforeNext > 0 ? lock.msBeforeNext : 0 };
  }

  /** Counts a failure; answers the failures within the window, this one included. */
  async fail(key: string): Promise<number> {
    const hashed = this.#hash(key);
    const counted = await this.#failures.penalty(hashed);
    // Forgotten a window after the last failure, not the first.
    await this.client.pexpire(this.#failures.getKey(hashed), windowMs);
    return counted.consumedPoints;
  }

  async lock(key: string, ms: number): Promise<void> {
    await this.#locks.block(this.#hash(key), Math.ceil(ms / 1000));
  }

  async clear(key: string): Promise<void> {
    const hashed = this.#hash(key);
    await Promise.all([this.#failures.delete(hashed), this.#locks.delete(hashed)]);
  }
}
