import pg from 'pg';
import type { Db } from '../db/client.ts';
import type { Logger } from '../logger.ts';

/** The PostgreSQL channel every instance listens on for changes that end tokens. */
const channel = 'grc_token_changes';

/**
 * Announces, in the transaction of a change that ends tokens (a revocation,
 * suspension, transfer, session end, user change), that other instances
 * should look now: PostgreSQL delivers the notification when, and only if,
 * the transaction commits. A no-op on SQLite, where one machine polls.
 */
export async function announceTokenChange(tx: Pick<Db, '$executeRawUnsafe'>, provider: string): Promise<void> {
  if (provider === 'postgresql') await tx.$executeRawUnsafe(`SELECT pg_notify('${channel}', '')`);
}

/**
 * Listens for `announceTokenChange` on a connection of its own and calls
 * `onChange` for each (the revocation list then polls at once). A lost
 * connection is re-opened with a growing delay; meanwhile the regular poll
 * keeps every instance within its bound.
 */
export class ChangeFeed {
  #client: pg.Client | undefined;
  #stopped = false;
  #retryMs = 500;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
    private readonly onChange: () => void,
  ) {}

  /** Connects and listens; resolves once listening, or once the first attempt failed (it retries). */
  async start(): Promise<void> {
    if (this.#stopped) return;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5000 });
    const retry = (error?: Error) => {
      if (this.#client !== client) return;
      this.#client = undefined;
      client.end().catch(() => {});
      if (this.#stopped) return;
      this.log.warn({ err: error?.message, retryMs: this.#retryMs }, 'change feed lost; polling only until it is back');
      this.#timer = setTimeout(() => void this.start(), this.#retryMs);
      this.#timer.unref();
      this.#retryMs = Math.min(this.#retryMs * 2, 30_000);
    };
    this.#client = client;
    client.on('error', retry);
    client.on('end', () => retry());
    client.on('notification', () => this.onChange());
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      this.#retryMs = 500;
      // Changes made while the feed was away are read by the poll that follows.
      this.onChange();
    } catch (error) {
      retry(error as Error);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }
}
