import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type LogLine = Record<string, unknown> & { msg?: string };

export interface ServerProcess {
  child: ChildProcess;
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Everything the process wrote to stdout so far (JSON log lines and the console banner). */
  stdout(): string;
  stderr(): string;
  /** The JSON log lines written so far (complete lines only). */
  logLines(): LogLine[];
  /**
   * Sends a signal and resolves with the exit code (null when the signal
   * killed it). Rejects, after killing it, when it has not exited in `timeoutMs`.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/** Servers still running, each with the temporary folder to remove once it is gone. */
const running = new Map<ChildProcess, string | undefined>();

/** Kills every server still running and waits for them to go (call in afterAll). */
export async function killAll(): Promise<void> {
  const exits = [...running.keys()].map((child) => new Promise((resolve) => child.once('close', resolve)));
  for (const child of running.keys()) child.kill('SIGKILL');
  await Promise.all(exits);
}

// A test worker may end before a server's 'close' arrives (when killAll is not awaited): no
// server may outlive it, nor its folder.
process.once('exit', () => {
  for (const [child, keyDir] of running) {
    child.kill('SIGKILL');
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  }
});

/** These levels hide the `listening` line, so the port cannot be read from the log. */
const quietLevels = new Set(['fatal', 'error', 'warn', 'silent']);

/** A port nobody listens on right now (for quiet servers only: another process could take it first). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function parseLogLines(out: string): LogLine[] {
  const complete = out.slice(0, out.lastIndexOf('\n') + 1);
  const lines: LogLine[] = [];
  for (const line of complete.split('\n')) {
    if (!line.startsWith('{')) continue; // the console banner and blank lines
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // Not a log line: other tests look at stdout() for it.
    }
  }
  return lines;
}

/** What runs the server: node's arguments, and the working directory (this one by default). */
export interface ServerCommand {
  args: string[];
  cwd?: string;
}

/**
 * The TypeScript sources through the tsx loader, as the tests run them; with TEST_SERVER=dist,
 * the build as `npm start` runs it (`npm run build` first), so that every process test can run
 * against the compiled server.
 */
const compiled = process.env.TEST_SERVER === 'dist';
const sourceServer: ServerCommand = { args: compiled ? ['dist/src/main.js'] : ['--import', 'tsx', 'src/main.ts'] };

/** The server as the tests run it (sources or build), with a module of node's preloaded first (`--import`). */
export function serverWithPreload(module: string): ServerCommand {
  return { args: ['--import', module, ...sourceServer.args] };
}

/** How a start ended: listening (with the port), or exited first (with the code). */
type Outcome = { listening: number } | { exitCode: number | null };

interface Launched {
  server: Omit<ServerProcess, 'url' | 'port'>;
  /** Settles once the server listens or exits; rejects (after killing it) on timeout. */
  outcome: Promise<Outcome>;
}

/**
 * Spawns `node --import tsx src/main.ts` (or `command`; node itself, not the tsx CLI, so
 * that signals reach the server and its exit code is the one we see) with a
 * minimal environment: PATH, CI as given, PORT 0, LOG_LEVEL info, no drain
 * (SHUTDOWN_DRAIN_MS 0) and a key
 * file in a temporary folder that is removed when the process exits.
 */
async function launch(
  env: Record<string, string>,
  timeoutMs: number,
  keepOutput: boolean,
  user?: { uid: number; gid: number },
  command: ServerCommand = sourceServer,
): Promise<Launched> {
  const quiet = quietLevels.has(env.LOG_LEVEL ?? 'info');
  const keyDir = env.JWT_KEY_FILE ? undefined : mkdtempSync(join(tmpdir(), 'grc-proc-'));
  const port = env.PORT ?? (quiet ? String(await freePort()) : '0');
  const child = spawn(process.execPath, command.args, {
    cwd: command.cwd,
    env: {
      PATH: process.env.PATH ?? '',
      ...(process.env.CI === undefined ? {} : { CI: process.env.CI }),
      LOG_LEVEL: 'info',
      ...(compiled ? { NODE_ENV: 'production' } : {}),
      // Stopping waits for no drain unless a test asks for one (test/main-drain.process.test.ts).
      SHUTDOWN_DRAIN_MS: '0',
      ...(keyDir ? { JWT_KEY_FILE: join(keyDir, 'jwt-keys.json') } : {}),
      ...env,
      PORT: port,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...user,
  });
  running.set(child, keyDir);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  // Load generators turn keepOutput off: the start-up lines are kept, not a million request lines.
  child.stdout?.on('data', (chunk: string) => {
    if (keepOutput || out.length < 1_000_000) out += chunk;
  });
  child.stderr?.on('data', (chunk: string) => {
    err += chunk;
  });
  // 'close' rather than 'exit': by then stdout and stderr have been read to the end.
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      running.delete(child);
      if (keyDir) rmSync(keyDir, { recursive: true, force: true });
      resolve(code);
    }),
  );
  const logLines = () => parseLogLines(out);

  const outcome = new Promise<Outcome>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server neither listened nor exited in ${timeoutMs} ms:\n${out}\n${err}`));
    }, timeoutMs);
    const settle = (result: Outcome) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(result);
    };
    const onData = () => {
      const listening = logLines().find((l) => l.msg === 'listening');
      if (listening) settle({ listening: Number(listening.port) });
    };
    if (quiet) {
      void (async () => {
        // No log line to wait for: poll until /healthz answers or the process is gone.
        while (running.has(child)) {
          try {
            if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return settle({ listening: Number(port) });
          } catch {
            // not listening yet
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
    } else {
      child.stdout?.on('data', onData);
    }
    void exited.then((exitCode) => settle({ exitCode }));
  });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', stopTimeoutMs = 20_000) => {
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the server did not exit within ${stopTimeoutMs} ms of ${signal}`));
      }, stopTimeoutMs);
    });
    try {
      return await Promise.race([exited, late]);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    server: { child, stdout: () => out, stderr: () => err, logLines, exited, stop },
    outcome,
  };
}

/**
 * Runs the server (its sources through tsx, unless `command` says otherwise) and resolves once it listens;
 * rejects with its output when it exits first or takes longer than `timeoutMs`.
 * The port is read from the `listening` log line (PORT 0 by default); callers
 * that quiet the log below info get a free port chosen in advance instead.
 * `keepOutput: false` caps the kept stdout (for load tests). `user` runs it as
 * another user (root only; give it a JWT_KEY_FILE that user may read).
 * `command` runs something else than the sources through tsx (the build).
 */
export async function startServerProcess(
  env: Record<string, string>,
  timeoutMs = 30_000,
  keepOutput = true,
  user?: { uid: number; gid: number },
  command?: ServerCommand,
): Promise<ServerProcess> {
  const { server, outcome } = await launch(env, timeoutMs, keepOutput, user, command);
  const result = await outcome;
  if ('exitCode' in result) {
    throw new Error(`the server exited with ${result.exitCode}:\n${server.stdout()}\n${server.stderr()}`);
  }
  return { ...server, port: result.listening, url: `http://127.0.0.1:${result.listening}` };
}

/**
 * Runs the server expecting it to stop at start-up; resolves with its exit
 * code and output. Rejects (after killing it) when it starts listening.
 */
export async function failedStart(
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<{ code: number | null; out: string; err: string }> {
  const { server, outcome } = await launch(env, timeoutMs, true);
  const result = await outcome;
  if ('listening' in result) {
    await server.stop('SIGKILL');
    throw new Error(`the server started on port ${result.listening}:\n${server.stdout()}`);
  }
  return { code: result.exitCode, out: server.stdout(), err: server.stderr() };
}
