import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerProcess } from './process.ts';

/** One `createIssue` of a write loop, as its client saw it. */
export interface WriteOutcome {
  /** What the test said the database was doing when the write was sent (`phase`). */
  phase: string;
  /** 0 when no answer came (the connection failed). */
  status: number;
  /** The error code, GraphQL's `extensions.code` or REST's `error.code` (the request timeout's). */
  code?: string;
  id?: number;
  title: string;
  ms: number;
}

export interface WriteLoopOptions {
  /** What the database is doing now, recorded with each write. */
  phase?: () => string;
  /** Pause after an answer other than 200 (so that a long outage does not exhaust the rate limit). @default 0 */
  pauseAfterRefusalMs?: number;
  /** Pause after a failed connection. @default 20 */
  pauseAfterFailureMs?: number;
}

/**
 * Writes issues one after another until stopped, recording every answer;
 * titles are `<prefix> <n>`.
 */
export function writeLoop(
  server: ServerProcess,
  bearer: string,
  prefix: string,
  { phase = () => '', pauseAfterRefusalMs = 0, pauseAfterFailureMs = 20 }: WriteLoopOptions = {},
) {
  const outcomes: WriteOutcome[] = [];
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const title = `${prefix} ${i}`;
      const sentIn = phase();
      const started = performance.now();
      try {
        const response = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
          body: JSON.stringify({
            query: 'mutation ($t: String!) { createIssue(input: { title: $t }) { id } }',
            variables: { t: title },
          }),
        });
        const body = await response.json();
        outcomes.push({
          phase: sentIn,
          status: response.status,
          code: body.errors?.[0]?.extensions?.code ?? body.error?.code,
          id: body.data?.createIssue ? Number(body.data.createIssue.id) : undefined,
          title,
          ms: performance.now() - started,
        });
        if (response.status !== 200 && pauseAfterRefusalMs > 0) await sleep(pauseAfterRefusalMs);
      } catch {
        outcomes.push({ phase: sentIn, status: 0, title, ms: performance.now() - started });
        await sleep(pauseAfterFailureMs);
      }
    }
  })();
  return {
    outcomes,
    stop: async () => {
      running = false;
      await done;
    },
  };
}
