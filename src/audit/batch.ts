import type { Db } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { type AuditEntry, writeAudit } from './writer.ts';

interface Pending {
  entry: AuditEntry;
  count: number;
  first: Date;
  last: Date;
  clientIps: Set<string>;
}

/** Distinct keys held between flushes; past this, events are counted in the log only. */
const maxPending = 10_000;
/** Distinct client addresses kept per event. */
const maxAddresses = 20;

/**
 * Audit events that may come in floods (refused tokens, refusals of a
 * role), gathered in memory and written every few seconds as one event
 * per kind, actor and target with how many there were, when, and from
 * where: a flood costs no write per request. Events that fail to write
 * are kept for the next flush.
 */
export class AuditBatch {
  #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | undefined;
  #dropped = 0;

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

  /** Counts one event; those with the same `key` are written as one. */
  add(key: string, entry: AuditEntry, at: Date): void {
    const pending = this.#pending.get(key);
    if (pending) {
      pending.count++;
      pending.last = at;
      if (entry.clientIp && pending.clientIps.size < maxAddresses) pending.clientIps.add(entry.clientIp);
      return;
    }
    if (this.#pending.size >= maxPending) {
      this.#dropped++;
      return;
    }
    this.#pending.set(key, {
      entry,
      count: 1,
      first: at,
      last: at,
      clientIps: new Set(entry.clientIp ? [entry.clientIp] : []),
    });
  }

  /** Writes the pending events in one transaction. */
  async flush(): Promise<void> {
    if (this.#dropped > 0) {
      this.log.warn({ dropped: this.#dropped }, 'audit batch full: events counted here only');
      this.#dropped = 0;
    }
    const batch = this.#pending;
    if (batch.size === 0) return;
    this.#pending = new Map();
    try {
      await this.db.$transaction(
        [...batch.values()].map((p) =>
          writeAudit(this.db, {
            ...p.entry,
            requestId: p.count === 1 ? p.entry.requestId : null,
            details: {
              ...p.entry.details,
              count: p.count,
              from: p.first.toISOString(),
              to: p.last.toISOString(),
              clientIps: [...p.clientIps],
            },
          }),
        ),
      );
    } catch (error) {
      this.log.warn({ err: (error as Error).message, events: batch.size }, 'audit batch flush failed; kept for later');
      for (const [key, p] of batch) {
        const newer = this.#pending.get(key);
        if (newer) {
          newer.count += p.count;
          newer.first = p.first;
        } else if (this.#pending.size < maxPending) this.#pending.set(key, p);
      }
    }
  }
}
