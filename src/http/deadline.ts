/**
 * A request's time limit, shared by the node-level request timeout (which
 * answers when it passes) and the transactions the request runs (which
 * must then not commit). Both sides run on the one event loop, so a write
 * either begins its COMMIT before the deadline passes, or is rolled back.
 */
export class Deadline {
  /** Set once the deadline has passed: no transaction of the request may begin its COMMIT. */
  expired = false;
  /** Transactions of the request whose COMMIT is in flight. */
  committing = 0;
  /** Transactions of the request that committed. */
  committed = 0;
  /** The request's id, once known (for the answer that the deadline itself gives). */
  requestId?: string;

  constructor(
    /** `Date.now()` by which the request must be answered. */
    readonly at: number,
  ) {}

  /** Milliseconds left. */
  remaining(now = Date.now()): number {
    return this.at - now;
  }

  /** Called as a transaction hands its COMMIT to the database; false once expired (then roll back). */
  beginCommit(): boolean {
    if (this.expired) return false;
    this.committing++;
    return true;
  }

  /** Called once that COMMIT has succeeded or failed. */
  endCommit(succeeded: boolean): void {
    this.committing--;
    if (succeeded) this.committed++;
  }

  /** Whether the request may have saved something: a COMMIT done or in flight. */
  get mayHaveSaved(): boolean {
    return this.committing > 0 || this.committed > 0;
  }
}

/**
 * Where Node's request object carries its deadline: a symbol property, not a WeakMap entry (an
 * entry per request keyed by a short-lived object is work for every collection).
 */
const deadlineKey = Symbol('grc.deadline');

/** Ties a deadline to Node's request object, where the server adapter's context can find it. */
export function attachDeadline(req: object, deadline: Deadline): void {
  (req as { [deadlineKey]?: Deadline })[deadlineKey] = deadline;
}

/** The deadline of Node's request object, if the request timeout set one. */
export function deadlineOf(req: object | undefined): Deadline | undefined {
  return (req as { [deadlineKey]?: Deadline } | undefined)?.[deadlineKey];
}
