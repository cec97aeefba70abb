import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase, testProviders } from './support/databases.ts';
import { killAll, type ServerProcess, startServerProcess } from './support/process.ts';

const admin = { ADMIN_USERNAME: 'first.admin', ADMIN_PASSWORD: 'an initial admin password' };

afterAll(killAll);

/** One span as OTLP/JSON encodes it (ids in hex). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
}

interface Export {
  path: string;
  contentType: string;
  body: Buffer;
}

/** An OTLP/HTTP receiver on a free loopback port: it keeps every export it is sent and answers 200. */
async function startReceiver(): Promise<{ url: string; exports: Export[]; close(): Promise<void> }> {
  const exports: Export[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      exports.push({
        path: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        body: Buffer.concat(chunks),
      });
      const json = req.headers['content-type']?.includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exports,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Every span of the JSON exports received so far, with its scope (instrumentation) name. */
function spansOf(exports: Export[]): (OtlpSpan & { scope: string; service: unknown })[] {
  return exports.flatMap((e) => {
    const body = JSON.parse(e.body.toString('utf8'));
    return body.resourceSpans.flatMap(
      (rs: {
        resource: { attributes: OtlpSpan['attributes'] };
        scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
      }) => {
        const service = rs.resource.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;
        return rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ ...s, scope: ss.scope.name, service })));
      },
    );
  });
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value ? Object.values(value)[0] : undefined;
};

/** Polls `check` until it answers something truthy; fails with `what` after a generous deadline. */
async function eventually<T>(what: string, check: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

async function loginToken(server: ServerProcess): Promise<string> {
  const response = await fetch(`${server.url}/api/authentication/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userName: admin.ADMIN_USERNAME, password: admin.ADMIN_PASSWORD }),
  });
  expect(response.status).toBe(200);
  return (await response.json()).auth_token;
}

/** A GraphQL request that reads the database, sent as part of the caller's trace. */
function issuesQuery(server: ServerProcess, token: string, traceparent: string): Promise<Response> {
  return fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, traceparent },
    body: JSON.stringify({ query: 'query TracedIssues { issues(first: 1) { totalCount } }' }),
  });
}

describe.each(testProviders)('OpenTelemetry tracing on %s', { timeout: 90_000 }, (provider) => {
  const databases: TestDatabase[] = [];
  const servers: ServerProcess[] = [];
  const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];
  const start = async (env: Record<string, string>) => {
    const database = await freshDatabase(provider);
    databases.push(database);
    const server = await startServerProcess({ DATABASE_URL: database.url, ...admin, ...env });
    servers.push(server);
    return server;
  };
  const receiver = async () => {
    const started = await startReceiver();
    receivers.push(started);
    return started;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
    await Promise.all(databases.splice(0).map((d) => d.drop()));
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  it("continues the caller's trace: HTTP, GraphQL phases, a resolver and Prisma's query, and the request's log line", async () => {
    const otlp = await receiver();
    const server = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'grc-api-under-test',
      // Export within 100 ms rather than the default 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    const token = await loginToken(server);
    // Probes get no span (they would fill traces every few seconds).
    const probeTraceId = hex(16);
    expect(
      (await fetch(`${server.url}/readyz`, { headers: { traceparent: `00-${probeTraceId}-${hex(8)}-01` } })).status,
    ).toBe(200);
    const traceId = hex(16);
    const callerSpanId = hex(8);
    const response = await issuesQuery(server, token, `00-${traceId}-${callerSpanId}-01`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { issues: { totalCount: 0 } } });

    const inTrace = () => spansOf(otlp.exports).filter((s) => s.traceId === traceId);
    await eventually('the Prisma query span and the HTTP span', () => {
      const spans = inTrace();
      return spans.some((s) => s.scope === 'prisma' && /query|db/.test(s.name)) && spans.some((s) => s.kind === 2);
    });
    const spans = inTrace();
    // Ended before the GraphQL request began, a probe's span would have been exported by now.
    expect(spansOf(otlp.exports).filter((s) => s.traceId === probeTraceId)).toEqual([]);
    expect(otlp.exports.every((e) => e.path === '/v1/traces')).toBe(true);
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['grc-api-under-test']));

    // The server span (kind 2) is the caller's span's child.
    const http = spans.filter((s) => s.kind === 2);
    expect(http).toHaveLength(1);
    expect(http[0]).toMatchObject({ name: 'POST /graphql', parentSpanId: callerSpanId });
    expect(attribute(http[0] as OtlpSpan, 'http.response.status_code')).toBe(200);
    expect(attribute(http[0] as OtlpSpan, 'graphql.operation.name')).toBe('TracedIssues');

    const byName = (name: string) => spans.find((s) => s.name === name);
    const parentOf = (span: OtlpSpan | undefined) => spans.find((s) => s.spanId === span?.parentSpanId);
    for (const phase of ['graphql.parse', 'graphql.validate', 'graphql.context', 'graphql.execute']) {
      expect(parentOf(byName(phase))?.spanId, phase).toBe(http[0]?.spanId);
    }
    const execute = byName('graphql.execute');
    expect(attribute(execute as OtlpSpan, 'graphql.operation.type')).toBe('query');
    const resolver = byName('graphql.resolve Query.issues');
    expect(parentOf(resolver)?.name).toBe('graphql.execute');
    // Prisma's spans nest under the span active when the query ran: the list's under its
    // resolver's, the count's (a scalar field, not traced) under graphql.execute.
    const operations = spans.filter((s) => s.name === 'prisma:client:operation');
    expect(operations.map((s) => parentOf(s)?.name)).toContain('graphql.resolve Query.issues');
    for (const operation of operations) {
      expect(['graphql.resolve Query.issues', 'graphql.execute']).toContain(parentOf(operation)?.name);
    }
    const queries = spans.filter((s) => s.name === 'prisma:client:db_query');
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) expect(parentOf(query)?.name).toBe('prisma:client:operation');

    // The request's log line carries the trace and the server span's ids.
    const line = await eventually('the request log line', () =>
      server.logLines().find((l) => l.msg === 'request' && l.path === '/graphql'),
    );
    expect(line).toMatchObject({ trace_id: traceId, span_id: http[0]?.spanId, trace_flags: '01' });
    // Lines outside a request carry none.
    expect(server.logLines().find((l) => l.msg === 'listening')).not.toHaveProperty('trace_id');
  });

  it('exports OTLP/protobuf by default, to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given', async () => {
    const otlp = await receiver();
    const server = await start({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/custom/traces`,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ version }' }),
    });
    expect(response.status).toBe(200);
    const sent = await eventually('an export', () => otlp.exports[0]);
    expect(sent).toMatchObject({ path: '/custom/traces', contentType: 'application/x-protobuf' });
    expect(sent.body.length).toBeGreaterThan(0);
  });

  it.each([
    ['no OTEL variable', {}],
    ['OTEL_SDK_DISABLED=true', { OTEL_SDK_DISABLED: 'true' }],
    ['OTEL_TRACES_EXPORTER=none', { OTEL_TRACES_EXPORTER: 'none' }],
  ])('is off with %s: nothing sent, no trace fields in the log', async (_case, env: Record<string, string>) => {
    const otlp = await receiver();
    // The endpoint is given when something else turns tracing off, to show that nothing is sent.
    const endpoint: Record<string, string> =
      Object.keys(env).length > 0 ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url } : {};
    const server = await start({ ...env, ...endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' });
    expect(server.logLines().find((l) => l.msg === 'listening')).toMatchObject({ tracing: false });
    const token = await loginToken(server);
    const response = await issuesQuery(server, token, `00-${hex(16)}-${hex(8)}-01`);
    expect(response.status).toBe(200);
    await eventually('the request log line', () =>
      server.logLines().find((l) => l.msg === 'request' && l.path === '/graphql'),
    );
    // Stopping would flush what an SDK held: still nothing was sent.
    expect(await server.stop()).toBe(0);
    // No trace fields at all (not nulls): the logger has no mixin when tracing is off.
    for (const line of server.logLines()) {
      expect(Object.keys(line)).not.toEqual(expect.arrayContaining(['trace_id']));
      expect(line).not.toHaveProperty('span_id');
    }
    expect(otlp.exports).toEqual([]);
  });
});
