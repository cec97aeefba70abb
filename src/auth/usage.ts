import type { Principal } from '../access/principal.ts';
import { writeAudit } from '../audit/writer.ts';
import type { Db } from '../db/client.ts';
import type { Logger } from '../logger.ts';

interface Pending {
  count: number;
  tokenId: string;
  /** Milliseconds since the epoch, as recorded (no Date made per request). */
  first: number;
  last: number;
  lastIp: string;
  addresses: Set<string>;
}

/** Distinct client addresses kept per flush in the audit details. */
const maxAddresses = 20;

/**
 * Counts service-account token uses in memory and writes them in batches
 * (every few seconds and at shutdown): the account's use count, last use
 * and last address, and one `service_account.used` audit event per account
 * and batch, so every use is traced to its token without a database write
 * per request. Counts that fail to write are kept for the next flush.
 */
export class UsageRecorder {
  #pending = new Map<number, Pending>();
  /** Session token ids and when each was last used (milliseconds since the epoch). */
  #sessions = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly flushMs = 5000,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.flush(), this.flushMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes what is pending. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  /** Notes a request made with a service-account token, `at` milliseconds since the epoch. */
  record(principal: Principal, clientIp: string, at: number): void {
    if (principal.serviceAccountId === null) return;
    const entry = this.#pending.get(principal.serviceAccountId);
    if (entry) {
      entry.count++;
      entry.last = at;
      entry.lastIp = clientIp;
      if (entry.addresses.size < maxAddresses) entry.addresses.add(clientIp);
      return;
    }
    this.#pending.set(principal.serviceAccountId, {
      count: 1,
      tokenId: principal.tokenId,
      first: at,
      last: at,
      lastIp: clientIp,
      addresses: new Set([clientIp]),
    });
  }

  /** Notes a request made with a session token, `at` milliseconds since the epoch: its session's `lastSeenAt`. */
  recordSession(tokenId: string, at: number): void {
    if (this.#sessions.size < 100_000 || this.#sessions.has(tokenId)) this.#sessions.set(tokenId, at);
  }

  /** Writes the pending counts. */
  async flush(): Promise<void> {
    await this.#flushSessions();
    const batch = this.#pending;
    if (batch.size === 0) return;
    this.#pending = new Map();
    for (const [id, use] of batch) {
      try {
        await this.db.$transaction([
          this.db.serviceAccount.update({
            where: { id },
            data: { useCount: { increment: use.count }, lastUsedAt: new Date(use.last), lastClientIp: use.lastIp },
          }),
          writeAudit(this.db, {
            actor: { type: 'SERVICE_ACCOUNT', serviceAccountId: id, label: `service-account-${id}` },
            action: 'service_account.used',
            targetType: 'ServiceAccount',
            targetId: id,
            clientIp: use.lastIp,
            details: {
              tokenId: use.tokenId,
              uses: use.count,
              from: new Date(use.first).toISOString(),
              to: new Date(use.last).toISOString(),
              clientIps: [...use.addresses],
            },
          }),
        ]);
      } catch (error) {
        this.log.warn({ serviceAccountId: id, err: (error as Error).message }, 'usage flush failed; kept for later');
        this.#merge(id, use);
      }
    }
  }

  async #flushSessions(): Promise<void> {
    const seen = this.#sessions;
    if (seen.size === 0) return;
    this.#sessions = new Map();
    try {
      // A session from before sessions were stored has no row: nothing to update, nothing lost.
      await this.db.$transaction(
        [...seen].map(([id, at]) => this.db.session.updateMany({ where: { id }, data: { lastSeenAt: new Date(at) } })),
      );
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'session last-seen flush failed');
      for (const [id, at] of seen) if (!this.#sessions.has(id)) this.#sessions.set(id, at);
    }
  }

  #merge(id: number, use: Pending): void {
    const newer = this.#pending.get(id);
    if (!newer) {
      this.#pending.set(id, use);
      return;
    }
    newer.count += use.count;
    newer.first = use.first;
    for (const a of use.addresses) if (newer.addresses.size < maxAddresses) newer.addresses.add(a);
  }
}
