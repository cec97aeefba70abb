/**
 * What `{ me }` costs more than `{ version }`, in instructions: a count that the machine's noise
 * does not move. The server (the build, as `npm start` runs it) runs under callgrind
 * (valgrind), with no instruction counted until every kind of request below has been sent
 * BENCH_WARMUP times on one keep-alive connection, mixed, and then BENCH_REQUESTS times in a
 * row; then, for BENCH_ROUNDS rounds, each kind BENCH_REQUESTS times in a row, its count zeroed
 * before and dumped after. Only the main thread is counted (JavaScript, the HTTP parser, the
 * event loop; not V8's background compiler or collector threads). The figures: instructions per
 * request (the fewest of the rounds: see below) for anonymous `{ version }`, `{ version }` with
 * an unread header as long as the token's, with the session token, and `{ me { userName roles } }`
 * with a session and a service-account token; how many more than anonymous `{ version }`, and
 * their ratio; and, a step at a time (the header's bytes, the token check, the field and its
 * answer), the functions `{ me }`'s extra instructions are spent in (JIT code named from V8's
 * perf map).
 * BENCH_KEEP_DUMPS keeps callgrind's dumps and the perf map.
 *
 * With BENCH_BASELINE_DIR (an earlier checkout, built), its server is counted the same way
 * after this one's, and each figure is printed for both.
 *
 * Instructions are not time: code that misses the caches costs more per instruction (bench:auth
 * measures time). What they give is the same figure on every run, to tell whether a change did
 * less work, and where work is.
 *
 *   npm run bench:instructions   (BENCH_ROUNDS=3, BENCH_REQUESTS=1000, BENCH_WARMUP=1000,
 *                                 BENCH_PROVIDERS, BENCH_BASELINE_DIR;
 *                                 needs valgrind: apt-get install valgrind)
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Provider } from '../src/db/provider.ts';
import { freePort } from '../test/support/process.ts';
import {
  benchProviders,
  login,
  machine,
  postgresAdmin,
  productionServer,
  temporaryPostgresDatabase,
} from './lib/load.ts';
import { encodeRequest, keepAliveConnection } from './lib/paired.ts';

const admin = { ADMIN_USERNAME: 'bench.admin', ADMIN_PASSWORD: 'bench admin password' };
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const requests = Number(process.env.BENCH_REQUESTS ?? 1000);
const warmUp = Number(process.env.BENCH_WARMUP ?? 1000);

/** A dump's instructions by function (`callgrind_annotate`), JIT code named by the perf map. */
function functionsOf(file: string, names: (address: number) => string | undefined): Map<string, number> {
  const text = execFileSync('callgrind_annotate', ['--threshold=100', file], { maxBuffer: 64 << 20 }).toString();
  const functions = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^\s*([\d,]+) \([^)]*\)\s+(.+)$/.exec(line);
    if (!match?.[1] || !match[2] || match[2].startsWith('PROGRAM TOTALS')) continue;
    let name = match[2].replace(/'\d+/g, '').replace(/^\?\?\?:/, '');
    const address = /^0x([0-9a-f]+) \[\?\?\?\]/.exec(name)?.[1];
    if (address) name = names(Number.parseInt(address, 16)) ?? name;
    functions.set(name, (functions.get(name) ?? 0) + Number(match[1].replaceAll(',', '')));
  }
  return functions;
}

function totalOf(file: string): number {
  return Number(/^summary: (\d+)$/m.exec(readFileSync(file, 'utf8'))?.[1] ?? Number.NaN);
}

/** V8's perf map (`--perf-basic-prof`): the name of the JIT code at an address (the last one written there). */
function perfMap(pid: number): (address: number) => string | undefined {
  const entries = readFileSync(`/tmp/perf-${pid}.map`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [start = '0', size = '0', ...name] = line.split(' ');
      return { start: Number.parseInt(start, 16), size: Number.parseInt(size, 16), name: name.join(' ') };
    });
  return (address) => entries.findLast((e) => e.start <= address && address < e.start + e.size)?.name;
}

async function benchProvider(provider: Provider, cwd?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'grc-bench-instructions-'));
  const database =
    provider === 'sqlite'
      ? { url: `file:${join(dir, 'bench.db')}`, drop: async () => {} }
      : await temporaryPostgresDatabase(postgresAdmin, 'grc_bench_instructions');
  const port = await freePort();
  const out = join(dir, 'callgrind.out');
  const server = productionServer()?.args ?? ['--import', 'tsx', 'src/main.ts'];
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--smc-check=all',
      '--instr-atstart=no',
      '--separate-threads=yes',
      `--callgrind-out-file=${out}`,
      process.execPath,
      '--perf-basic-prof',
      ...server,
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: database.url,
        JWT_KEY_FILE: join(dir, 'keys.json'),
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_MINUTE: '0',
        NODE_ENV: 'production',
        SHUTDOWN_DRAIN_MS: '0',
        // The database polls, at their longest: their work is per second, not per request, and
        // would be counted into requests that valgrind makes some fifty times slower.
        REVOCATION_POLL_MS: '60000',
        USAGE_FLUSH_SECONDS: '3600',
        PORT: String(port),
        ...admin,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd,
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const pid = child.pid ?? 0;
  const control = (...args: string[]) => execFileSync('callgrind_control', [...args, String(pid)], { stdio: 'pipe' });
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let waited = 0; ; waited += 250) {
      if (child.exitCode !== null) throw new Error(`the server exited under valgrind:\n${stderr}`);
      if (waited > 600_000) throw new Error(`the server did not start under valgrind in 10 minutes:\n${stderr}`);
      if (
        await fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const userToken = await login(url, admin.ADMIN_USERNAME, admin.ADMIN_PASSWORD);
    const created = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${userToken}` },
      body: JSON.stringify({
        query: 'mutation { createServiceAccount(input: { durationDays: 1, purpose: "Benchmark" }) { token } }',
      }),
    });
    const serviceToken = (await created.json()).data.createServiceAccount.token as string;
    const encode = (query: string, headers: Record<string, string> = {}) =>
      encodeRequest(port, {
        path: '/graphql',
        body: JSON.stringify({ query }),
        headers: { 'content-type': 'application/json', ...headers },
      });
    const me = '{ me { userName roles } }';
    const kinds = {
      '{ version }': encode('{ version }'),
      '{ version }, an unread header as long as the token': encode('{ version }', {
        'x-unread-head': 'x'.repeat(`Bearer ${userToken}`.length),
      }),
      '{ version }, session token': encode('{ version }', { authorization: `Bearer ${userToken}` }),
      '{ me } session': encode(me, { authorization: `Bearer ${userToken}` }),
      '{ me } service account': encode(me, { authorization: `Bearer ${serviceToken}` }),
    };
    // { me }'s extra, a step at a time. The unread header's name is one Node does not know, which
    // it handles for some 1,000 instructions more than `authorization` (`matchKnownFields`
    // lower-cases it and compares it with the names it knows): the token step shows that back.
    const steps: { step: string; from: keyof typeof kinds; to: keyof typeof kinds }[] = [
      { step: "the header's bytes", from: '{ version }', to: '{ version }, an unread header as long as the token' },
      {
        step: 'the token check',
        from: '{ version }, an unread header as long as the token',
        to: '{ version }, session token',
      },
      { step: 'the field and its answer', from: '{ version }, session token', to: '{ me } session' },
    ];
    const client = await keepAliveConnection(port);
    for (let i = 0; i < warmUp; i++) for (const bytes of Object.values(kinds)) await client.send(bytes);
    // Then one round as the counted ones run, uncounted: the first run of each kind in a row
    // after the mixed warm-up cost up to 9,000 instructions a request more than the next.
    for (const bytes of Object.values(kinds)) for (let i = 0; i < requests; i++) await client.send(bytes);
    control('--instr=on');
    const dumps: Record<string, string[]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const [name, bytes] of Object.entries(kinds)) {
        control('--zero');
        for (let i = 0; i < requests; i++) await client.send(bytes);
        control(`--dump=${round}`);
        // The dump just written, main thread (-01): the newest numbered file.
        const files = readdirSync(dir)
          .filter((f) => f.startsWith('callgrind.out.') && f.endsWith('-01'))
          .sort((a, b) => Number(/\.(\d+)-01$/.exec(a)?.[1]) - Number(/\.(\d+)-01$/.exec(b)?.[1]));
        dumps[name] = [...(dumps[name] ?? []), join(dir, files.at(-1) ?? '')];
      }
    }
    client.close();
    const names = perfMap(pid);
    // The counts only ever go up from what the code itself costs: V8's memory reducer makes a
    // full collection 100 s into the run (its watchdog, by the clock, which valgrind's slowness
    // reaches after some rounds), and the functions it throws away run unoptimised until they are
    // optimised again (before src/fake-promise-shapes.ts, the rounds after it cost two to three
    // times as much for good); and a round can catch functions deoptimised and not yet optimised
    // again (seen: 9,000 more for a whole round of one kind). So each kind's figure is its fewest
    // instructions over the rounds.
    const counts = Object.fromEntries(
      Object.entries(dumps).map(([name, files]) => [name, files.map((f) => totalOf(f) / requests)]),
    );
    const fewest = (values: number[]) => Math.min(...values);
    const base = fewest(counts['{ version }'] ?? []);
    const table = Object.fromEntries(
      Object.entries(counts).map(([name, perRequest]) => {
        const least = fewest(perRequest);
        return [
          name,
          {
            'instructions per request (fewest)': Math.round(least),
            'more than { version }': Math.round(least - base),
            '{ version } / this': +(base / least).toFixed(3),
            'rounds (thousands; * fewest)': perRequest
              .map((count) => `${Math.round(count / 1000)}${count === least ? '*' : ''}`)
              .join(' / '),
          },
        ];
      }),
    );
    // Where { me }'s extra instructions go, step by step: each function's count in a kind's
    // fewest round against the one before it in `steps` (its fewest round too).
    const roundOf = (perRequest: number[]) => Math.max(0, perRequest.indexOf(fewest(perRequest)));
    // Each kind's dump annotated once: the middle kinds are the end of one step and the start of the next.
    const annotated = new Map<keyof typeof kinds, Map<string, number>>();
    const functionsOfKind = (kind: keyof typeof kinds) => {
      let functions = annotated.get(kind);
      if (!functions) {
        functions = functionsOf(dumps[kind]?.[roundOf(counts[kind] ?? [])] ?? '', names);
        annotated.set(kind, functions);
      }
      return functions;
    };
    const where = steps.map(({ step, from, to }) => {
      const before = functionsOfKind(from);
      const after = functionsOfKind(to);
      const functions = [...new Set([...before.keys(), ...after.keys()])]
        .map((name) => ({ name, more: ((after.get(name) ?? 0) - (before.get(name) ?? 0)) / requests }))
        .sort((a, b) => Math.abs(b.more) - Math.abs(a.more))
        .slice(0, 12)
        .map(({ name, more }) => ({ function: name.slice(0, 110), 'more per request': Math.round(more) }));
      const more = fewest(counts[to] ?? []) - fewest(counts[from] ?? []);
      return { step: `${step}: ${to} against ${from}, ${Math.round(more)} more`, functions };
    });
    return { provider, table, where };
  } finally {
    child.kill('SIGTERM');
    await exited;
    if (process.env.BENCH_KEEP_DUMPS) copyFileSync(`/tmp/perf-${pid}.map`, join(dir, 'perf.map'));
    rmSync(`/tmp/perf-${pid}.map`, { force: true });
    await database.drop();
    if (process.env.BENCH_KEEP_DUMPS) console.log(`callgrind's dumps and V8's perf map kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const providers = await benchProviders();
const results = [];
const baselineDir = process.env.BENCH_BASELINE_DIR;
for (const provider of providers) {
  for (const [label, cwd] of [['this checkout', undefined], ...(baselineDir ? [['baseline', baselineDir]] : [])]) {
    const result = { ...(await benchProvider(provider, cwd)), server: label };
    console.log(
      `\n== ${provider}, ${label}: instructions per request, main thread, fewest of ${rounds} rounds of ${requests} requests ==`,
    );
    console.table(result.table);
    for (const { step, functions } of result.where) {
      console.log(`where they go, ${step} (each kind's fewest round)`);
      console.table(functions);
    }
    results.push(result);
  }
}
console.log(machine());
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`results/instructions-${new Date().toISOString().slice(0, 10)}.json`, import.meta.url),
  `${JSON.stringify({ machine: machine(), rounds, requests, warmUp, baselineDir, results }, null, 2)}\n`,
);
