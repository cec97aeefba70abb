import type { Db } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { TokenClaims } from './tokens.ts';

/** Revocations are re-read with this margin, so instances whose clocks differ a little miss none. */
const overlapMs = 5 * 60_000;

/** Why a verified token is refused all the same; each is safe to tell its holder. */
export type Refusal = 'revoked' | 'suspended' | 'session_ended' | 'user_deactivated';

export interface RevocationListOptions {
  /** How often other instances' revocations and deactivations are read. @default 500 */
  pollMs?: number;
  now?: () => Date;
}

/**
 * Everything that ends a token before it expires, kept in memory so that
 * checking a token needs no database round trip: revoked and suspended
 * service accounts, ended sessions, deactivated users, and each user's
 * cut-off (tokens issued before it are refused for good, so reactivating a
 * user revives none). A change made here counts at once; one made by another
 * instance sharing the database is read by polling (twice a second by
 * default), so it counts here within a second. Entries of tokens that
 * expired anyway are dropped.
 */
export class RevocationList {
  /** Service-account token ids, by state, with their expiry (ms). */
  readonly #revoked = new Map<string, number>();
  readonly #suspended = new Map<string, number>();
  /** Session token ids that were ended, with their expiry (ms). */
  readonly #endedSessions = new Map<string, number>();
  readonly #inactiveUsers = new Set<string>();
  /** Per user: tokens issued before this time (ms) are refused. */
  readonly #cutoffs = new Map<string, number>();
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

  /** Why a verified token must be refused, or null when nothing ended it. */
  refusalOf(claims: TokenClaims): Refusal | null {
    if (claims.kind === 'service_account') {
      if (this.#revoked.has(claims.tokenId)) return 'revoked';
      if (this.#suspended.has(claims.tokenId)) return 'suspended';
      return null;
    }
    if (this.#endedSessions.has(claims.tokenId)) return 'session_ended';
    if (this.#inactiveUsers.has(claims.subject)) return 'user_deactivated';
    // `iat` has whole seconds: a token of the cut-off's own second passes here (its session,
    // ended by id with the change, refuses it); one issued in an earlier second never does.
    const cutoff = this.#cutoffs.get(claims.subject);
    if (cutoff !== undefined && claims.issuedAt.getTime() < Math.floor(cutoff / 1000) * 1000) return 'session_ended';
    return null;
  }

  /** Records a revocation made by this instance: refused from the very next request. */
  revoke(tokenId: string, expiresAt: Date): void {
    this.#revoked.set(tokenId, expiresAt.getTime());
  }

  /** Records a suspension (or, with `suspended` false, its end) made by this instance. */
  setSuspended(tokenId: string, expiresAt: Date, suspended: boolean): void {
    if (suspended) this.#suspended.set(tokenId, expiresAt.getTime());
    else this.#suspended.delete(tokenId);
  }

  /** Records ended sessions made by this instance. */
  endSessions(sessions: readonly { id: string; expiresAt: Date }[]): void {
    for (const s of sessions) this.#endedSessions.set(s.id, s.expiresAt.getTime());
  }

  /** Records a user's state as this instance just stored it. */
  setUser(userId: string, state: { active: boolean; tokensValidAfter: Date | null }): void {
    if (state.active) this.#inactiveUsers.delete(userId);
    else this.#inactiveUsers.add(userId);
    if (state.tokensValidAfter) this.#cutoffs.set(userId, state.tokensValidAfter.getTime());
    else this.#cutoffs.delete(userId);
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
   * a fresh one started.
   */
  async nextPoll(): Promise<void> {
    await this.#polling;
    await this.poll();
  }

  async #read(): Promise<void> {
    const startedAt = this.#now().getTime();
    const loaded = this.#watermark.getTime() > 0;
    const since = new Date(this.#watermark.getTime() - overlapMs);
    const now = new Date(startedAt);
    try {
      const [accounts, users, sessions] = await Promise.all([
        this.db.serviceAccount.findMany({
          where: loaded
            ? { OR: [{ statusChangedAt: { gte: since } }, { revokedAt: { gte: since } }] }
            : { expiresAt: { gt: now }, OR: [{ revokedAt: { not: null } }, { suspendedAt: { not: null } }] },
          select: { jti: true, revokedAt: true, suspendedAt: true, statusChangedAt: true, expiresAt: true },
        }),
        this.db.user.findMany({
          where: loaded
            ? { updatedAt: { gte: since } }
            : { OR: [{ active: false }, { tokensValidAfter: { not: null } }] },
          select: { id: true, active: true, tokensValidAfter: true, updatedAt: true },
        }),
        this.db.session.findMany({
          where: loaded ? { endedAt: { gte: since } } : { endedAt: { not: null }, expiresAt: { gt: now } },
          select: { id: true, expiresAt: true, endedAt: true },
        }),
      ]);
      let latest = this.#watermark.getTime();
      for (const a of accounts) {
        const expires = a.expiresAt.getTime();
        if (a.revokedAt && expires > startedAt) this.#revoked.set(a.jti, expires);
        if (a.suspendedAt && !a.revokedAt && expires > startedAt) this.#suspended.set(a.jti, expires);
        else this.#suspended.delete(a.jti);
        latest = Math.max(latest, a.revokedAt?.getTime() ?? 0, a.statusChangedAt?.getTime() ?? 0);
      }
      for (const u of users) {
        this.setUser(u.id, u);
        latest = Math.max(latest, u.updatedAt.getTime());
      }
      for (const s of sessions) {
        if (s.expiresAt.getTime() > startedAt) this.#endedSessions.set(s.id, s.expiresAt.getTime());
        latest = Math.max(latest, s.endedAt?.getTime() ?? 0);
      }
      for (const map of [this.#revoked, this.#suspended, this.#endedSessions]) {
        for (const [id, expiresAt] of map) if (expiresAt <= startedAt) map.delete(id);
      }
      // The overlap covers clocks of other instances that run a little behind ours.
      this.#watermark = new Date(Math.max(latest, startedAt));
    } catch (error) {
      // Keep what we know; the next poll tries again.
      this.log.warn({ err: (error as Error).message }, 'revocation poll failed');
    }
  }
}
