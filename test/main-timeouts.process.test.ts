import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, startServerProcess } from './support/process.ts';

afterAll(killAll);

describe('request head timeout', () => {
  it('closes the socket of a client that trickles header bytes past REQUEST_TIMEOUT_MS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grc-trickle-'));
    const server = await startServerProcess({
      DATABASE_URL: `file:${join(dir, 'trickle.db')}`,
      ADMIN_PASSWORD: 'trickle admin password',
      REQUEST_TIMEOUT_MS: '1000',
    });
    try {
      const socket = connect(server.port, '127.0.0.1');
      let received = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => {
        received += chunk;
      });
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => {});
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
      // A header line every 100 ms: the socket is never idle, but its head never ends.
      let n = 0;
      const trickle = setInterval(() => {
        if (!socket.destroyed) socket.write(`X-Trickle-${n++}: ${'a'.repeat(10)}\r\n`);
      }, 100);
      let deadline: NodeJS.Timeout | undefined;
      try {
        // Generous: Node's default check interval (30 s) let such a socket live up to a minute.
        const outcome = await Promise.race([
          closed.then(() => 'closed' as const),
          new Promise<'open'>((resolve) => {
            deadline = setTimeout(() => resolve('open'), 20_000);
          }),
        ]);
        expect(outcome).toBe('closed');
      } finally {
        clearInterval(trickle);
        clearTimeout(deadline);
        socket.destroy();
      }
      // Node answers 408 before closing; the request never reached the application.
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
      expect(server.logLines().filter((l) => l.msg === 'request' && l.path === '/healthz')).toEqual([]);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
