import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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

/**
 * Runs `src/main.ts` in a child process, the way `npm start` does, with a
 * minimal environment. Resolves once it logs `listening`, or rejects with
 * its output when it exits first or takes longer than `timeoutMs`.
 */
export function startServerProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'grc-proc-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      CI: process.env.CI ?? '',
      PORT: '0',
      LOG_LEVEL: 'info',
      JWT_KEY_FILE: join(dataDir, 'jwt-keys.json'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d;
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

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}\n${err}`));
    }, timeoutMs);
    const onData = () => {
      const listening = logLines().find((l) => l.msg === 'listening');
      if (!listening) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      const port = Number(listening.port);
      resolve({
        child,
        port,
        url: `http://127.0.0.1:${port}`,
        stdout: () => out,
        stderr: () => err,
        logLines,
        exited,
        stop: (signal = 'SIGTERM') => {
          child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`server exited with ${code}:\n${out}\n${err}`), { code, out, err }));
    });
  });
}

/** Runs the server expecting it to fail at start-up; resolves with its exit code and output. */
export async function failedStart(
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  try {
    const server = await startServerProcess(env, 20_000);
    await server.stop('SIGKILL');
    throw new Error('the server started');
  } catch (error) {
    const e = error as Error & { code?: number | null; out?: string; err?: string };
    if (e.out === undefined) throw error;
    return { code: e.code ?? null, out: e.out, err: e.err ?? '' };
  }
}
