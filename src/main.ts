import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Auth, createAuth } from './auth/runtime.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createDb } from './db/client.ts';
import { storageFaultOf } from './db/errors.ts';
import { applyMigrations } from './db/migrate.ts';
import { transactionLimits } from './db/transaction.ts';
import { keepFakePromiseShapes } from './fake-promise-shapes.ts';
import { keepPrimitivePrototypesFast } from './fast-prototypes.ts';
import { Metrics } from './http/metrics.ts';
import { withRequestTimeout } from './http/request-timeout.ts';
import { createLogger } from './logger.ts';
import { createServer } from './server.ts';
import { startTracing } from './telemetry.ts';
import { ensureFirstAdministrator } from './users/bootstrap.ts';

// After every static import (ioredis among them) has run: see the functions.
keepPrimitivePrototypesFast();
keepFakePromiseShapes();

function fail(message: string): never {
  process.stderr.write(`grc-api: ${message}\n`);
  process.exit(1);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}

const log = createLogger(config.logLevel, undefined, { traceIds: config.tracing.enabled });
const startedAt = performance.now();
// Before the first query: Prisma's spans and the server's start from the provider registered here.
const telemetry = await startTracing(config.tracing, log);

if (config.migrateOnStart) {
  try {
    const applied = await applyMigrations(config.databaseUrl);
    log.info(
      { applied, provider: config.provider },
      applied.length ? 'migrations applied' : 'database schema up to date',
    );
  } catch (error) {
    fail(`could not migrate the ${config.provider} database: ${(error as Error).message}`);
  }
}

const { db, pool } = createDb(config.databaseUrl, {
  poolSize: config.dbPoolSize,
  statementTimeoutMs: transactionLimits(config.http.requestTimeoutMs).timeoutMs,
});
const metrics = config.metricsEnabled ? new Metrics(pool) : undefined;
if (config.provider === 'sqlite') {
  // WAL lets readers run beside a writer and survives a killed process intact.
  try {
    await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  } catch (error) {
    // A read-only file can still be read: serve that, and say so (/readyz, STORAGE_READ_ONLY).
    const fault = storageFaultOf(error);
    if (!fault) throw error;
    log.error({ cause: fault.cause }, 'cannot switch the SQLite database to WAL: serving it as it is');
  }
}
try {
  await ensureFirstAdministrator(db, config.admin, log, (m) => process.stdout.write(`${m}\n`));
} catch (error) {
  fail(`could not prepare the database: ${(error as Error).message}`);
}

let auth: Auth;
try {
  auth = await createAuth(config, log, db, { onFailure: (reason) => metrics?.authFailures.inc({ reason }) });
} catch (error) {
  fail(`cannot load the token signing keys: ${(error as Error).message}`);
}
// Pick up keys rotated by another instance or by `npm run keys:rotate`.
const keyRefresh = setInterval(() => void auth.keys.refreshIfChanged(), 60_000);
keyRefresh.unref();

/** Set on SIGTERM: /readyz answers 503 and every answer closes its connection. */
let draining = false;
const yoga = createServer({ config, db, log, auth, metrics, isDraining: () => draining });
const handler = withRequestTimeout(yoga, config.http.requestTimeoutMs);
const server = createHttpServer(
  {
    // Node enforces headersTimeout and requestTimeout only when it checks its connections, every
    // 30 s by default: a client trickling header bytes then kept its socket almost a minute.
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(config.http.requestTimeoutMs / 4))),
  },
  (req, res) => {
    // The client learns from the answer itself that this connection ends with it: it sends its
    // next request on a new connection, never on a socket we are about to close.
    if (draining) res.setHeader('Connection', 'close');
    handler(req, res);
  },
);
// A connection that sends or receives nothing for about this long is closed (slow clients, stalled
// streams). A second past the request timeout, so that a request stalled mid-body gets its
// 503 REQUEST_TIMEOUT answer (withRequestTimeout) rather than a bare reset.
server.timeout = config.http.requestTimeoutMs + 1000;
// The whole request head within REQUEST_TIMEOUT_MS, however slowly it trickles in (408, then closed).
server.headersTimeout = config.http.requestTimeoutMs;
// A body is bounded by withRequestTimeout's answer; Node's own limit is only a backstop behind it.
server.requestTimeout = config.http.requestTimeoutMs * 2;
server.on('error', (error) => fail(`cannot listen on ${config.host}:${config.port}: ${error.message}`));
server.listen(config.port, config.host, () => {
  const { port } = server.address() as AddressInfo;
  log.info(
    {
      host: config.host,
      port,
      provider: config.provider,
      viewApis: config.viewApis,
      tracing: config.tracing.enabled,
      startupMs: Math.round(performance.now() - startedAt),
    },
    'listening',
  );
});

let stopping = false;
let endDrain: (() => void) | undefined;
/**
 * Drains, then stops. For SHUTDOWN_DRAIN_MS it keeps listening and
 * answering while /readyz answers 503 `draining` (the load balancer stops
 * sending new work) and every answer carries `Connection: close`; idle
 * keep-alive connections are left to close by Node's keep-alive timeout
 * rather than cut while a client may be writing to them. Then it stops
 * listening, lets in-flight requests finish (up to SHUTDOWN_TIMEOUT_MS),
 * closes the database and exits 0. A second signal ends the drain at once.
 */
async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    endDrain?.();
    return;
  }
  stopping = true;
  draining = true;
  log.info({ signal, drainMs: config.shutdownDrainMs }, 'shutting down');
  if (config.shutdownDrainMs > 0) {
    await new Promise<void>((resolve) => {
      endDrain = resolve;
      setTimeout(resolve, config.shutdownDrainMs);
    });
    log.info('drained: no longer listening');
  }
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections that fall idle are closed as soon as they do.
  const idle = setInterval(() => server.closeIdleConnections(), 50);
  const deadline = setTimeout(() => {
    log.warn('shutdown timeout: closing remaining connections');
    server.closeAllConnections();
  }, config.shutdownTimeoutMs);
  await closed;
  clearInterval(idle);
  clearTimeout(deadline);
  await yoga.dispose();
  await auth.stop();
  await db.$disconnect();
  // The last spans (the drain's requests) are exported before the process ends.
  await telemetry
    ?.shutdown()
    .catch((error: Error) => log.warn({ cause: error.message }, 'could not export the last spans'));
  log.info('stopped');
  // pino writes in the background: let the last lines out before exiting.
  log.flush(() => process.exit(0));
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
