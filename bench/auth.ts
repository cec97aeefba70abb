/**
 * What authentication costs, in one run, interleaved: `{ version }` anonymous, `{ me }` with a
 * user session token and `{ me }` with a service-account token, on one server per provider
 * (SQLite; PostgreSQL when reachable at BENCH_DATABASE_URL or the local server), LOG_LEVEL=warn,
 * no rate limit. Alternating slices, BENCH_ROUNDS rounds; ratios as min/median/max, with the
 * server's CPU per request. Then, on one keep-alive connection, `{ me }` paired with
 * `{ version }` (BENCH_PAIRS pairs, each first in half of them; `{ version }` against itself as
 * the control): what `{ me }` takes longer than its pair, a figure the machine's noise does not
 * swing as it swings slices of seconds, and the ratio it comes to against the anonymous CPU per
 * request under load. Two more pairs split that difference: `{ version }` carrying a header as
 * long as the token's that the server never reads (the bytes alone), and `{ version }` with the
 * session token (the bytes and the token check, without the `me` field). Last, the same header
 * against a bare `node:http` server: what Node itself spends on its bytes.
 *
 *   npm run bench:auth   (BENCH_ROUNDS=5, BENCH_SLICE_SECONDS=5, BENCH_PAIRS=20000, BENCH_NODE_ENV=production;
 *                         the build as npm start runs it, BENCH_SERVER=source for the sources)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Provider } from '../src/db/provider.ts';
import {
  benchNodeEnv,
  benchProviders,
  graphqlSlice,
  interleave,
  login,
  machine,
  postgresAdmin,
  startBenchServer,
  stats,
  temporaryPostgresDatabase,
} from './lib/load.ts';
import { pairedDifference } from './lib/paired.ts';

const admin = { ADMIN_USERNAME: 'bench.admin', ADMIN_PASSWORD: 'bench admin password' };

const pairs = Number(process.env.BENCH_PAIRS ?? 20_000);

/** The columns every paired row shows: the difference by its median and by the tenths' means, and each latency. */
function differenceColumns(result: Awaited<ReturnType<typeof pairedDifference>>) {
  const tenths = result.differenceMeanByTenth;
  return {
    'difference, median µs': result.differenceMedianUs,
    "median of the tenths' means µs (min–max)": `${result.differenceUs} (${Math.min(...tenths)}–${Math.max(...tenths)})`,
    'latency, { version } / other µs': `${result.baseMedianUs} / ${result.otherMedianUs}`,
  };
}

async function benchProvider(provider: Provider) {
  const dir = mkdtempSync(join(tmpdir(), 'grc-bench-auth-'));
  const database =
    provider === 'sqlite'
      ? { url: `file:${join(dir, 'bench.db')}`, drop: async () => {} }
      : await temporaryPostgresDatabase(postgresAdmin, 'grc_bench_auth');
  const server = await startBenchServer(database.url, dir, admin);
  try {
    const userToken = await login(server.url, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD);
    const tokenHeaderLength = `Bearer ${userToken}`.length;
    const created = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${userToken}` },
      body: JSON.stringify({
        query: 'mutation { createServiceAccount(input: { durationDays: 1, purpose: "Benchmark" }) { token } }',
      }),
    });
    const serviceToken = (await created.json()).data.createServiceAccount.token as string;
    const graphql = (name: string, query: string, token?: string) => graphqlSlice(server, name, query, token);
    const series = await interleave(
      {
        anonymous: graphql('{ version }', '{ version }'),
        session: graphql('{ me } session', '{ me { userName roles } }', userToken),
        service: graphql('{ me } service account', '{ me { userName roles } }', serviceToken),
      },
      undefined,
      provider,
    );
    const request = (query: string, token?: string, extra: Record<string, string> = {}) => ({
      path: '/graphql',
      body: JSON.stringify({ query }),
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...extra,
      } as Record<string, string>,
    });
    const anonymousCpuMs = stats(
      series.anonymous.map((r) => r.cpuMsPerRequest),
      4,
    ).median;
    const paired = async (other: ReturnType<typeof request>) => {
      const result = await pairedDifference(server.port, request('{ version }'), other, pairs);
      // What { me }'s req/s comes to when a request costs the anonymous one's CPU under load plus the difference.
      const comesTo = (us: number) => +(anonymousCpuMs / (anonymousCpuMs + us / 1000)).toFixed(3);
      return {
        ...differenceColumns(result),
        'ratio it comes to, by the median': comesTo(result.differenceMedianUs),
        'by the tenths': comesTo(result.differenceUs),
      };
    };
    // As many header bytes as the session token's `Authorization`, under a name of the same length
    // that the server never reads: what carrying the token costs before anything looks at it.
    const unread = request('{ version }', undefined, { 'x-unread-head': 'x'.repeat(tokenHeaderLength) });
    const pairedRows = {
      // The control: the method finds no difference between a request and itself.
      '{ version } (control)': await paired(request('{ version }')),
      // The parts of { me }'s difference: the header's bytes, then verifying the token, then the field.
      '{ version }, an unread header as long': await paired(unread),
      '{ version }, session token': await paired(request('{ version }', userToken)),
      '{ me } session': await paired(request('{ me { userName roles } }', userToken)),
      '{ me } service account': await paired(request('{ me { userName roles } }', serviceToken)),
    };
    const ratio = (a: keyof typeof series) =>
      stats(series[a].map((r, i) => r.requestsPerSecond / (series.anonymous[i]?.requestsPerSecond ?? Number.NaN)));
    return {
      provider,
      tokenHeaderLength,
      'req/s': Object.fromEntries(
        Object.entries(series).map(([k, v]) => [
          k,
          stats(
            v.map((r) => r.requestsPerSecond),
            0,
          ),
        ]),
      ),
      'CPU ms/request': Object.fromEntries(
        Object.entries(series).map(([k, v]) => [k, stats(v.map((r) => r.cpuMsPerRequest))]),
      ),
      ratios: { '{ me } session / anonymous': ratio('session'), '{ me } service / anonymous': ratio('service') },
      [`paired with { version }, ${pairs} pairs on one connection`]: pairedRows,
    };
  } finally {
    await server.stop();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const providers = await benchProviders();
const results = [];
for (const provider of providers) {
  const result = await benchProvider(provider);
  console.log(`\n== ${provider} (NODE_ENV=${benchNodeEnv}) ==`);
  for (const [name, table] of Object.entries(result)) {
    if (typeof table !== 'object') continue;
    console.log(name);
    console.table(table);
  }
  results.push(result);
}
/**
 * The same header's bytes against a bare `node:http` server (its own process; it reads and parses
 * the body and answers `{ version }`'s JSON): what Node itself spends on them, which no server
 * on it can save.
 */
async function bareHeaderCost(headerLength: number) {
  const program = `
    const server = require('node:http').createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        JSON.parse(Buffer.concat(chunks).toString());
        const body = '{"data":{"version":"0.1.0"}}';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ['-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [first] = (await once(child.stdout, 'data')) as [Buffer];
    const port = Number(first.toString().trim());
    const request = (extra: Record<string, string> = {}) => ({
      path: '/graphql',
      body: JSON.stringify({ query: '{ version }' }),
      headers: { 'content-type': 'application/json', ...extra },
    });
    const row = async (other: ReturnType<typeof request>) =>
      differenceColumns(await pairedDifference(port, request(), other, pairs));
    return {
      'control (the same request)': await row(request()),
      'an unread header as long as the token': await row(request({ 'x-unread-head': 'x'.repeat(headerLength) })),
    };
  } finally {
    child.kill();
  }
}

// `Bearer ` and a session token of the bench's admin: the length the servers above were sent.
const bare = await bareHeaderCost(results[0]?.tokenHeaderLength ?? 0);
console.log(`\n== bare node:http, paired on one connection ==`);
console.table(bare);
console.log(machine());
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`results/auth-${new Date().toISOString().slice(0, 10)}.json`, import.meta.url),
  `${JSON.stringify({ machine: machine(), results, bare }, null, 2)}\n`,
);
