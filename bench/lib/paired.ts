import { connect, type Socket } from 'node:net';

/** One request of a paired comparison: its body and headers (no `host` or `content-length`). */
export interface PairedRequest {
  path: string;
  body: string;
  headers: Record<string, string>;
}

export interface PairedResult {
  pairs: number;
  /** Median latency of each request, in microseconds. */
  baseMedianUs: number;
  otherMedianUs: number;
  /**
   * How much longer the other request took than the base request of its pair, in
   * microseconds, as the mean of each tenth of the run: a mean carries the garbage collection
   * the requests' allocations cause, which a median would leave out; a tenth holds hundreds of
   * collections, and the median of the ten means leaves out a tenth that met a stall of the
   * machine or the database (one 100 ms stall moves the mean of 20,000 pairs by 5 µs).
   */
  differenceMeanByTenth: number[];
  /** The median of `differenceMeanByTenth`: the figure to use. */
  differenceUs: number;
  /** The median difference, without the collections. */
  differenceMedianUs: number;
}

/**
 * What one request costs more than another, measured so that the machine's noise cancels: one
 * keep-alive connection sends them in pairs, each request when the last has been answered, and
 * each `other` is compared with the `base` of its pair. Neighbours a few hundred microseconds apart meet the same machine,
 * so a slowdown that lasts longer than that cancels out; slices of seconds under load do not
 * (their ratios swing by ±20 % on a busy host). The client is a raw socket with the requests
 * written in advance, so that its own work is the same for both but for a few bytes. Every
 * answer must be a 200 with a `content-length`.
 */
export async function pairedDifference(
  port: number,
  base: PairedRequest,
  other: PairedRequest,
  pairs = 20_000,
  warmUpPairs = 3000,
): Promise<PairedResult> {
  const baseBytes = encodeRequest(port, base);
  const otherBytes = encodeRequest(port, other);
  const { send, close } = await keepAliveConnection(port);
  try {
    for (let i = 0; i < warmUpPairs; i++) {
      await send(baseBytes);
      await send(otherBytes);
    }
    const baseUs: number[] = [];
    const otherUs: number[] = [];
    for (let i = 0; i < pairs; i++) {
      // base, other, other, base, ...: each comes first in half the pairs, so that whatever
      // favours a position (it did, by 2 µs, with the two in strict alternation) cancels out.
      if (i % 2 === 0) {
        baseUs.push(await send(baseBytes));
        otherUs.push(await send(otherBytes));
      } else {
        otherUs.push(await send(otherBytes));
        baseUs.push(await send(baseBytes));
      }
    }
    const difference = otherUs.map((us, i) => us - (baseUs[i] as number));
    const tenth = Math.floor(pairs / 10);
    const round = (v: number) => +v.toFixed(2);
    const byTenth = Array.from({ length: 10 }, (_, i) => {
      const part = difference.slice(i * tenth, (i + 1) * tenth);
      return part.reduce((a, b) => a + b, 0) / part.length;
    });
    return {
      pairs,
      baseMedianUs: round(median(baseUs)),
      otherMedianUs: round(median(otherUs)),
      differenceMeanByTenth: byTenth.map(round),
      differenceUs: round(median(byTenth)),
      differenceMedianUs: round(median(difference)),
    };
  } finally {
    close();
  }
}

/** A request's bytes on the wire, written in advance (latin1; `host` and `content-length` added). */
export function encodeRequest(port: number, { path, body, headers }: PairedRequest): Buffer {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return Buffer.from(
    `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${lines.join('')}\r\n${body}`,
    'latin1',
  );
}

/**
 * One keep-alive connection on a raw socket that sends a request when the last has been
 * answered: `send` resolves with the answer's latency in microseconds, and rejects unless the
 * answer is a 200 with a `content-length`.
 */
export async function keepAliveConnection(port: number): Promise<{
  send: (bytes: Buffer) => Promise<number>;
  close: () => void;
}> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  socket.setNoDelay(true);
  let answered: ((error?: Error) => void) | undefined;
  let received: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    received = received.length > 0 ? Buffer.concat([received, chunk]) : chunk;
    const headEnd = received.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = received.subarray(0, headEnd).toString('latin1');
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    const done = answered;
    if (!head.startsWith('HTTP/1.1 200 ') || length === undefined) {
      answered = undefined;
      done?.(new Error(`not a 200 with a content-length: ${head.split('\r\n')[0]}`));
      return;
    }
    const end = headEnd + 4 + Number(length);
    if (received.length < end) return;
    received = received.subarray(end);
    answered = undefined;
    done?.();
  });
  return {
    send: (bytes) =>
      new Promise<number>((resolve, reject) => {
        const start = process.hrtime.bigint();
        answered = (error) => (error ? reject(error) : resolve(Number(process.hrtime.bigint() - start) / 1000));
        socket.write(bytes);
      }),
    close: () => socket.destroy(),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
