import type { Db } from '../db/client.ts';
import type { Logger } from '../logger.ts';

/** Revocations are re-read with this margin, so instances whose clocks differ a little miss none. */
const overlapMs = 5 * 60_000;

export interface RevocationListOptions {
  /** How often other instances' revocations and deactivations are read. @default 500 */
  pollMs?: number;
  now?: () => Date;
}

/**
 * Revoked service-account tokens and deactivated users, kept in memory so
 * that checking a token needs no database round trip. A revocation made
 * here counts at once; one made by another instance sharing the database
 * is read by polling (twice a second by default), so it counts here within
 * a second. Entries of tokens that expired anyway are dropped.
 */
export class RevocationList {
  readonly #revoked = new Map<string, number>();
  readonly #inactiveUsers = new Map<string, number>();
  #watermark = new Date(0);
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  readonly #now: () => Date;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly options: RevocationListOptions = {},
  ) {
    this.#now = options.now ?? (() => new Date());
  }

  /** Loads the current state and starts polling. */
  async start(): Promise<void> {
    await this.poll();
    this.#timer = setInterval(() => void this.poll(), this.options.pollMs ?? 500);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Whether a service-account token id was revoked. */
  isRevoked(tokenId: string): boolean {
    return this.#revoked.has(tokenId);
  }

  /** When the user was deactivated (ms), if they are inactive now. */
  deactivatedAt(userId: string): number | undefined {
    return this.#inactiveUsers.get(userId);
  }

  /** Records a revocation made by this instance: refused from the very next request. */
  revoke(tokenId: string, expiresAt: Date): void {
    this.#revoked.set(tokenId, expiresAt.getTime());
  }

  /** Records a (de)activation made by this instance. */
  setUserActive(userId: string, active: boolean, at: Date): void {
    if (active) this.#inactiveUsers.delete(userId);
    else this.#inactiveUsers.set(userId, at.getTime());
  }

  /** Reads revocations and user changes since the last poll (one at a time). */
  poll(): Promise<void> {
    this.#polling ??= this.#read().finally(() => {
      this.#polling = undefined;
    });
    return this.#polling;
  }

  /**
   * Resolves once a poll that started after this call has completed, so that
   * every revocation and (de)activation committed before the call is known
   * here (unless that poll failed: it is logged, and the next one retries).
   * A poll already running may have read too early, so it is waited for and
   * followed by another; this starts that one rather than waiting for the
   * timer. For tests and tools that must not guess how long polling takes.
   */
  async nextPoll(): Promise<void> {
    await this.#polling;
    await this.poll();
  }

  async #read(): Promise<void> {
    const startedAt = this.#now().getTime();
    const loaded = this.#watermark.getTime() > 0;
    const since = new Date(this.#watermark.getTime() - overlapMs);
    const now = startedAt;
    try {
      const [accounts, users] = await Promise.all([
        this.db.serviceAccount.findMany({
          where: { revokedAt: { gte: since } },
          select: { jti: true, revokedAt: true, expiresAt: true },
        }),
        this.db.user.findMany({
          // First every inactive user; then those deactivated, or reactivated, lately.
          where: loaded
            ? { updatedAt: { gte: since }, OR: [{ active: false }, { id: { in: [...this.#inactiveUsers.keys()] } }] }
            : { active: false },
          select: { id: true, active: true, updatedAt: true },
        }),
      ]);
      let latest = this.#watermark.getTime();
      for (const a of accounts) {
        if (a.expiresAt.getTime() > now) this.#revoked.set(a.jti, a.expiresAt.getTime());
        latest = Math.max(latest, a.revokedAt?.getTime() ?? 0);
      }
      for (const u of users) {
        this.setUserActive(u.id, u.active, u.updatedAt);
        latest = Math.max(latest, u.updatedAt.getTime());
      }
      for (const [jti, expiresAt] of this.#revoked) if (expiresAt <= now) this.#revoked.delete(jti);
      // The overlap covers clocks of other instances that run a little behind ours.
      this.#watermark = new Date(Math.max(latest, startedAt));
    } catch (error) {
      // Keep what we know; the next poll tries again.
      this.log.warn({ err: (error as Error).message }, 'revocation poll failed');
    }
  }
}
