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
  now?: () => number;
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
 * Kept in memory: losing it on restart only resets the counters.
 */
export class LoginThrottle {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #step: number;
  readonly #maxDelay: number;

  constructor(private readonly options: LoginThrottleOptions) {
    this.#now = options.now ?? Date.now;
    this.#step = options.delayStepMs ?? 250;
    this.#maxDelay = options.maxDelayMs ?? 2000;
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
  check(userKey: string, address: string): ThrottleDecision {
    const now = this.#now();
    let delayMs = 0;
    for (const { key, delayFrom } of this.#counters(userKey, address)) {
      const entry = this.#get(key, now);
      if (!entry) continue;
      if (entry.lockedUntil > now) return { refuseForSeconds: Math.ceil((entry.lockedUntil - now) / 1000) };
      if (entry.failures >= delayFrom) delayMs = Math.max(delayMs, this.#step * (entry.failures - delayFrom + 1));
    }
    return { delayMs: Math.min(this.#maxDelay, delayMs) };
  }

  /** Counts a failed attempt; locks out a refusing counter that reached its limit. */
  recordFailure(userKey: string, address: string): void {
    const now = this.#now();
    for (const { key, refuseAt } of this.#counters(userKey, address)) {
      const entry = this.#get(key, now) ?? { failures: 0, lastFailure: now, lockedUntil: 0 };
      entry.failures += 1;
      entry.lastFailure = now;
      if (refuseAt !== undefined && entry.failures >= refuseAt) {
        const ms = Math.min(maxLockoutMs, this.options.lockoutSeconds * 1000 * 2 ** (entry.failures - refuseAt));
        entry.lockedUntil = now + ms;
      }
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    while (this.#entries.size > maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** A successful login clears the counters of that user name from that address. */
  recordSuccess(userKey: string, address: string): void {
    this.#entries.delete(`pair:${userKey}\u0000${address}`);
  }
}
