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
  now?: () => number;
}

export type ThrottleDecision = { refuseForSeconds: number } | { delayMs: number };

/**
 * Slows down, then refuses, repeated failed logins. Three counters:
 * - user name + address: `threshold` failures lock that pair out;
 * - user name from anywhere: 4 × `threshold` (a distributed guess of one
 *   account), so one attacker cannot lock the real user out from their own address;
 * - address, any user name: 10 × `threshold` (password spraying).
 * Kept in memory: losing it on restart only resets the counters.
 */
export class LoginThrottle {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(private readonly options: LoginThrottleOptions) {
    this.#now = options.now ?? Date.now;
  }

  #keys(userKey: string, address: string): [string, number][] {
    const t = this.options.threshold;
    return [
      [`pair:${userKey}\u0000${address}`, t],
      [`user:${userKey}`, 4 * t],
      [`addr:${address}`, 10 * t],
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
    for (const [key, limit] of this.#keys(userKey, address)) {
      const entry = this.#get(key, now);
      if (!entry) continue;
      if (entry.lockedUntil > now) return { refuseForSeconds: Math.ceil((entry.lockedUntil - now) / 1000) };
      // The last two attempts before a lock-out are slowed down.
      if (entry.failures >= limit - 2) delayMs = Math.max(delayMs, 250 * (entry.failures - limit + 3));
    }
    return { delayMs };
  }

  /** Counts a failed attempt; locks out a counter that reached its limit. */
  recordFailure(userKey: string, address: string): void {
    const now = this.#now();
    for (const [key, limit] of this.#keys(userKey, address)) {
      const entry = this.#get(key, now) ?? { failures: 0, lastFailure: now, lockedUntil: 0 };
      entry.failures += 1;
      entry.lastFailure = now;
      if (entry.failures >= limit) {
        const ms = Math.min(maxLockoutMs, this.options.lockoutSeconds * 1000 * 2 ** (entry.failures - limit));
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
