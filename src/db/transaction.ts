import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceContext } from '../context.ts';
import { OutcomeUnknownError, TransactionTimeoutError } from '../errors.ts';
import { type Db, lockWaitMs } from './client.ts';
import { isDatabaseUnavailable, isSerializationFailure, storageFaultOf } from './errors.ts';

/** The transaction client Prisma hands an interactive transaction. */
export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/** What a transaction needs of the request it serves. */
type TransactionContext = Pick<ServiceContext, 'db' | 'config' | 'deadline' | 'requestId'>;

/**
 * The longest a transaction may run, and wait for a connection: below the
 * request timeout, so that a write is decided (committed, or rolled back by
 * Prisma and, on PostgreSQL, by `statement_timeout`) before its request is
 * answered. The same figures set PostgreSQL's statement timeout
 * (`createDb`).
 */
export function transactionLimits(requestTimeoutMs: number): { timeoutMs: number; maxWaitMs: number } {
  const timeoutMs = Math.max(50, Math.min(15_000, Math.floor(requestTimeoutMs / 2)));
  return { timeoutMs, maxWaitMs: Math.max(20, Math.min(5000, Math.floor(timeoutMs / 3))) };
}

export interface TransactionOptions {
  isolationLevel?: 'Serializable';
  /** Longer than the standard limit (a batch); still ended by the request's deadline. */
  timeoutMs?: number;
  maxWaitMs?: number;
}

/** Time kept back from the deadline for rolling back and answering. */
const answerMarginMs = (requestTimeoutMs: number) => Math.min(1000, Math.floor(requestTimeoutMs / 10));

const prismaTransactionTimeout = 'P2028';

/**
 * Runs `work` in one interactive transaction that commits before the
 * request's deadline or not at all: every state change and its audit event
 * go through it. When the deadline passes first, the transaction is rolled
 * back and the answer is REQUEST_TIMEOUT ("nothing was saved"). When the
 * database connection breaks while the COMMIT is on its way, nobody can say
 * whether it was saved: the answer is OUTCOME_UNKNOWN, not an invitation to
 * retry.
 */
export async function transact<T>(
  ctx: TransactionContext,
  work: (tx: Tx) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const standard = transactionLimits(ctx.config.http.requestTimeoutMs);
  const limits = {
    timeoutMs: options.timeoutMs ?? standard.timeoutMs,
    maxWaitMs: options.maxWaitMs ?? standard.maxWaitMs,
  };
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptOnce(ctx, work, options, limits);
    } catch (error) {
      // A serialization failure or deadlock (a Serializable transaction met a concurrent change)
      // was rolled back by the database: run it again, a few times, as PostgreSQL advises.
      if (isSerializationFailure(error) && attempt < serializationRetries) {
        await sleep(5 + Math.random() * 20 * (attempt + 1));
        continue;
      }
      // SQLite waits for a lock synchronously, blocking every other request: it waits only a
      // moment (`sqliteBusyStepMs`), and the transaction is tried again here, asynchronously, for
      // up to `lockWaitMs` (then DATABASE_BUSY). The failed attempt was rolled back.
      if (ctx.config.provider !== 'sqlite' || storageFaultOf(error)?.fault !== 'busy') throw error;
      const pause = Math.min(200, 10 * 2 ** attempt);
      const margin = answerMarginMs(ctx.config.http.requestTimeoutMs);
      if (Date.now() - started + pause > lockWaitMs) throw error;
      if (ctx.deadline && ctx.deadline.remaining() - margin < pause + 50) throw error;
      await sleep(pause);
    }
  }
}

/** How many times a transaction that lost a serialization race is run again. */
const serializationRetries = 4;

/** One try of `transact`'s transaction. */
async function attemptOnce<T>(
  ctx: TransactionContext,
  work: (tx: Tx) => Promise<T>,
  options: TransactionOptions,
  limits: { timeoutMs: number; maxWaitMs: number },
): Promise<T> {
  const { deadline } = ctx;
  const budget = deadline
    ? Math.min(
        limits.timeoutMs + limits.maxWaitMs,
        deadline.remaining() - answerMarginMs(ctx.config.http.requestTimeoutMs),
      )
    : limits.timeoutMs + limits.maxWaitMs;
  if (budget <= 0 || deadline?.expired) throw new TransactionTimeoutError();
  const maxWait = Math.max(1, Math.min(limits.maxWaitMs, Math.floor(budget / 3)));
  let committing = false;
  let committed = false;
  let xid: string | undefined;
  let value: T | undefined;
  try {
    const result = await ctx.db.$transaction(
      async (tx) => {
        // Its id, so that a COMMIT whose answer is lost can be looked up (txid_status).
        if (ctx.config.provider === 'postgresql')
          xid = ((await tx.$queryRawUnsafe('SELECT txid_current()::text AS xid')) as { xid: string }[])[0]?.xid;
        value = await work(tx);
        // The last moment to decide: past the deadline, the request was answered "not done".
        if (deadline && !deadline.beginCommit()) throw new TransactionTimeoutError();
        committing = true;
        return value;
      },
      { timeout: budget - maxWait, maxWait, isolationLevel: options.isolationLevel },
    );
    committed = true;
    return result;
  } catch (error) {
    if (committing && ctx.config.provider === 'postgresql' && !storageFaultOf(error) && isDatabaseUnavailable(error)) {
      // The connection broke with the COMMIT on its way: ask the database what became of it.
      const status = xid ? await statusOf(ctx.db, xid) : undefined;
      if (status === 'committed') {
        committed = true;
        return value as T;
      }
      if (status !== 'aborted') throw new OutcomeUnknownError(ctx.requestId);
    }
    // Expired and rolled back: not done. (P2028 "in the given time" is no connection: unavailable.)
    if (
      !committing &&
      (error as { code?: unknown }).code === prismaTransactionTimeout &&
      !/given time/i.test(String((error as Error).message))
    )
      throw new TransactionTimeoutError();
    throw error;
  } finally {
    if (committing) deadline?.endCommit(committed);
  }
}

/**
 * What became of a PostgreSQL transaction, asked on another connection:
 * `committed`, `aborted`, or undefined when the database cannot say yet
 * (unreachable, or still in progress, after five tries 200 ms apart).
 */
async function statusOf(db: Db, xid: string): Promise<'committed' | 'aborted' | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const rows = (await db.$queryRawUnsafe('SELECT txid_status($1::bigint) AS status', xid)) as {
        status: string | null;
      }[];
      const status = rows[0]?.status;
      if (status === 'committed' || status === 'aborted') return status;
    } catch {
      // The pool may hand out the very connection that just broke before it has noticed: the
      // next try gets another. A database that takes no connection fails every try.
    }
    await sleep(200);
  }
  return undefined;
}
