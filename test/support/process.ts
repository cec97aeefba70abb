import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServerProcess {
  child: ChildProcess;
  /** Base URL once listening. */
  url: string;
  port: number;
  stdout(): string;
  stderr(): string;
  /** Log lines (JSON) the server wrote so far. */
  logLines(): Record<string, unknown>[];
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Kills every server a test left running (call in afterAll). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Runs `src/main.ts` in a child process, the way `npm start` does, with a
 * minimal environment. Resolves once `/healthz` answers (whatever the log
 * level), or rejects with its output when it exits first or takes longer
 * than `timeoutMs`. Output is kept unless `keepOutput` is false (for load).
 */
export async function startServerProcess(
  env: Record<string, string>,
  timeoutMs = 30_000,
  keepOutput = true,
): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'grc-proc-'));
  const port = env.PORT ?? String(await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      CI: process.env.CI ?? '',
      LOG_LEVEL: 'info',
      JWT_KEY_FILE: join(dataDir, 'jwt-keys.json'),
      ...env,
      PORT: port,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    if (keepOutput || out.length < 1_000_000) out += d;
  });
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const logLines = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  const url = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    child,
    port: Number(port),
    url,
    stdout: () => out,
    stderr: () => err,
    logLines,
    exited,
    stop: (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
  let code: number | null | undefined;
  void exited.then((c) => {
    code = c;
  });
  const deadline = Date.now() + timeoutMs;
  while (code === undefined) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start in ${timeoutMs} ms:\n${out}\n${err}`);
    }
    try {
      if ((await fetch(`${url}/healthz`)).ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw Object.assign(new Error(`server exited with ${code}:\n${out}\n${err}`), { code, out, err });
}

/** Runs the server expecting it to fail at start-up; resolves with its exit code and output. */
export async function failedStart(
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  let server: ServerProcess;
  try {
    server = await startServerProcess(env, 20_000);
  } catch (error) {
    const e = error as Error & { code?: number | null; out?: string; err?: string };
    if (e.out === undefined) throw error;
    return { code: e.code ?? null, out: e.out, err: e.err ?? '' };
  }
  await server.stop('SIGKILL');
  throw new Error('the server started');
}
