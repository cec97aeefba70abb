/**
 * Where getAll's memory goes on SQLite: reads every issue in id batches as getAll does, with no
 * HTTP and no stream, each way in a fresh process, and prints the peak RSS growth, the heap after,
 * and the number of full (mark-compact) collections:
 *   driver   better-sqlite3 alone, `SELECT *` in batches (what the baseline reads)
 *   prisma   the server's `findMany` batches alone
 *   json     `findMany` and each row's `JSON.stringify(issueJson(row))`, as getAll wrote it
 *   rows     the driver's rows (`issueRows`) and each row's text (`issueJsonWriter`), as getAll writes it now
 * If `prisma` grows as much as `json`, the growth is Prisma's reading, not the stream.
 *   npx tsx bench/getall-memory.ts <sqlite file filled by bench:issues (BENCH_SQLITE_FILE)>
 *   (BENCH_BATCH=500, BENCH_ROUNDS=3, BENCH_ROWS: stop after this many rows)
 */
import { spawnSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { createDb } from '../src/db/client.ts';
import { issueRows } from '../src/issues/rows.ts';
import { issueJson, issueJsonWriter } from '../src/rest/issue-json.ts';

const modes = ['driver', 'prisma', 'json', 'rows'] as const;
type Mode = (typeof modes)[number];
const batch = Number(process.env.BENCH_BATCH ?? 500);
const limit = Number(process.env.BENCH_ROWS ?? Number.POSITIVE_INFINITY);
const mib = (bytes: number) => bytes / 1048576;

async function probe(file: string, mode: Mode) {
  let majors = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      if ((entry as { detail?: { kind?: number } }).detail?.kind === 4 /* NODE_PERFORMANCE_GC_MAJOR */) majors++;
  }).observe({ entryTypes: ['gc'] });
  let read: (after: number) => Promise<{ id: number }[]>;
  let written = 0;
  if (mode === 'driver') {
    const statement = new Database(file, { readonly: true }).prepare(
      'SELECT * FROM "Issue" WHERE id > ? ORDER BY id LIMIT ?',
    );
    read = async (after) => statement.all(after, batch) as { id: number }[];
  } else if (mode === 'rows') {
    const { db } = createDb(`file:${file}`);
    const issues = issueRows(db);
    const write = issueJsonWriter(issues);
    read = async (after) => {
      const { rows, lastId } = await issues.read(after, batch, undefined);
      for (const row of rows) written += write(row).length;
      // Only the count and the last id are looked at.
      return Object.assign(new Array<{ id: number }>(rows.length), { [rows.length - 1]: { id: lastId } });
    };
  } else {
    const { db } = createDb(`file:${file}`);
    await db.issue.findFirst();
    read = (after) => db.issue.findMany({ where: { id: { gt: after } }, orderBy: { id: 'asc' }, take: batch });
  }
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  let after = 0;
  let rows = 0;
  let bytes = 0;
  for (;;) {
    const issues = await read(after);
    if (mode === 'json') for (const issue of issues as never[]) bytes += JSON.stringify(issueJson(issue)).length;
    rows += issues.length;
    if (issues.length < batch || rows >= limit) break;
    after = issues.at(-1)?.id ?? after;
    await new Promise((resolve) => setImmediate(resolve));
  }
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  await new Promise((resolve) => setImmediate(resolve));
  bytes += written;
  return { rows, bytes, rssGrowthMiB: mib(peak - before), heapAfterMiB: mib(process.memoryUsage().heapUsed), majors };
}

const [file, mode] = process.argv.slice(2);
if (!file) throw new Error('usage: npx tsx bench/getall-memory.ts <sqlite file> (see the header)');
if (mode) {
  console.log(JSON.stringify(await probe(file, mode as Mode)));
  process.exit(0);
}
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const results: Record<string, number[]> = {};
for (let round = 0; round < rounds; round++) {
  for (const each of modes) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', process.argv[1] ?? '', file, each], {
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`${each}: ${child.stderr}`);
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as Awaited<ReturnType<typeof probe>>;
    const add = (name: string, value: number) => {
      results[name] = [...(results[name] ?? []), value];
    };
    add(`${each} RSS growth MiB`, result.rssGrowthMiB);
    add(`${each} full GCs`, result.majors);
    add(`${each} heap after MiB`, result.heapAfterMiB);
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
console.table(
  Object.fromEntries(
    Object.entries(results).map(([name, values]) => [
      name,
      {
        min: Math.min(...values).toFixed(1),
        median: median(values).toFixed(1),
        max: Math.max(...values).toFixed(1),
      },
    ]),
  ),
);
