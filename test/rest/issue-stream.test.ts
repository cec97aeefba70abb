import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sqlitePath } from '../../src/db/client.ts';
import { IssueSeverity, IssueStatus, type Prisma } from '../../src/db/types.ts';
import { toAppError } from '../../src/errors.ts';
import { regscaleFieldNames, regscaleFields } from '../../src/issues/regscale-fields.ts';
import { issueRows } from '../../src/issues/rows.ts';
import { issueJson } from '../../src/rest/issue-json.ts';
import { adminPassword, adminUserName, startTestApp, type TestApp } from '../support/app.ts';
import { postgresAdminUrl, testProviders } from '../support/databases.ts';

/**
 * The getAll streams read rows with the driver and write their JSON text themselves
 * (src/issues/rows.ts, src/db/raw-values.ts, issueJsonWriter): every byte must be what
 * `issueJson` makes of Prisma's own reading of the same rows.
 */
const texts = [
  'Zürich – “quoted” \\ back\\slash',
  'emoji 🛡️ and 漢字, and a lone half of a pair: \ud83d',
  'line\nbreak\ttab \u2028 \u2029 \u0001\u001f\u007f',
  '"; DROP TABLE "Issue"; --',
  '</script><script>alert(1)</script>',
  '',
];
const ints = [2_147_483_647, -2_147_483_648, 0, 1, 123_456];
const dates = [
  new Date('2031-03-01T12:00:00.000Z'),
  // The 29th and later, and midnight's last millisecond: the slow path of the ISO text.
  new Date('2028-02-29T23:59:59.999Z'),
  new Date('2026-05-31T00:00:00.500Z'),
  new Date('1970-01-01T00:00:00.000Z'),
  new Date('0001-01-01T00:00:00.000Z'),
  new Date('9999-12-31T23:59:59.999Z'),
  new Date('2026-01-28T10:20:30.120Z'),
];
const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;

/** An issue with every column filled, values varied by `i`. */
function fullIssue(i: number): Prisma.IssueCreateManyInput {
  const regscale: Record<string, unknown> = {};
  regscaleFieldNames.forEach((name, k) => {
    const kind = regscaleFields[name];
    regscale[name] =
      kind === 'int'
        ? pick(ints, i + k)
        : kind === 'date'
          ? pick(dates, i + k)
          : kind === 'boolean'
            ? (i + k) % 2 === 0
            : `${name} ${pick(texts, i + k)}`;
  });
  const severities = Object.values(IssueSeverity);
  const statuses = Object.values(IssueStatus);
  return {
    ...regscale,
    title: `Full ${i}: ${pick(texts, i)}`,
    description: pick(texts, i + 1),
    severityLevel: pick(severities, i),
    severityRank: 1,
    status: pick(statuses, i),
    dueDate: pick(dates, i + 2),
    dateCompleted: pick(dates, i + 3),
    createdAt: pick(dates, i + 4),
    updatedAt: pick(dates, i + 5),
    parentId: i % 3 === 0 ? 42 : 2_147_483_647,
    parentModule: i % 2 === 0 ? 'securityplans' : 'components',
  };
}

describe.each(testProviders)('the streamed issues on %s', (provider) => {
  let app: TestApp;
  let token: string;

  beforeAll(async () => {
    app = await startTestApp(provider);
    token = await app.login(adminUserName, adminPassword);
    // Every status and severity, so every label is written at least once.
    await app.db.issue.createMany({ data: Array.from({ length: 24 }, (_, i) => fullIssue(i)) });
    // Every nullable column null, the booleans at their defaults.
    await app.db.issue.create({ data: { title: 'Nothing else' } });
    await app.db.issue.create({ data: { title: 'Nulls', isPublic: false, isPoam: true, bRiskAdjustment: false } });
    // Rows written by something other than Prisma, in the forms the database itself writes.
    if (provider === 'sqlite') {
      await app.db.$executeRawUnsafe(
        `INSERT INTO "Issue" ("uuid", "title", "dueDate", "dateCompleted", "dateFirstDetected", "vendorLastUpdate", "isPublic", "isPoam", "costEstimate", "updatedAt")
         VALUES ('raw-1', 'Raw', '2026-02-30T00:00:00.000+00:00', 1767225600123, '2026-01-01', '2026-01-01T24:00:00.000+00:00', 1, 0, 7, '2026-03-04 05:06:07')`,
      );
      // Forms only Prisma's own normalisation reads this way (`new Date` alone would not).
      await app.db.$executeRawUnsafe(
        `INSERT INTO "Issue" ("uuid", "title", "dueDate", "dateCompleted", "updatedAt")
         VALUES ('raw-2', 'Raw zones', '2026-03-04T05:06:07+01', '10:20:30', '2026-03-04 05:06:07.25-0230')`,
      );
    } else {
      await app.db.$executeRawUnsafe(
        `INSERT INTO "Issue" ("uuid", "title", "dueDate", "dateCompleted", "updatedAt")
         VALUES ('raw-1', 'Raw', '2026-01-01 10:00:00.5', '2026-02-28 24:00:00', now())`,
      );
    }
  });
  afterAll(() => app?.close());

  /** What the stream must answer: issueJson of Prisma's findUnique of each issue, in id order. */
  async function expected(where: Prisma.IssueWhereInput = {}) {
    const ids = await app.db.issue.findMany({ where, select: { id: true }, orderBy: { id: 'asc' } });
    const issues = [];
    for (const { id } of ids) issues.push(issueJson((await app.db.issue.findUnique({ where: { id } })) as never));
    return issues;
  }

  async function streamed(path: string) {
    const response = await app.fetch(path, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    return response.text();
  }

  it('answers every issue field for field, and byte for byte, as issueJson of Prisma’s row', async () => {
    const want = await expected();
    expect(want).toHaveLength(provider === 'sqlite' ? 28 : 27);
    const body = await streamed('/api/issues/getAll');
    const got = JSON.parse(body) as unknown[];
    for (const [i, issue] of want.entries()) expect({ i, issue: got[i] }).toEqual({ i, issue });
    expect(got).toHaveLength(want.length);
    expect(body).toBe(`[${want.map((issue) => JSON.stringify(issue)).join(',')}]`);
    // The values the conversions exist for, as they must come out.
    expect(want.some((i) => i.costEstimate === -2_147_483_648 && i.isPublic === false && i.isPoam === true)).toBe(true);
    expect(want.map((i) => i.dueDate)).toContain('2028-02-29T23:59:59.999Z');
    expect(want.map((i) => i.dateCreated)).toContain('0001-01-01T00:00:00.000Z');
  });

  it('answers the issues of one parent, as issueJson of Prisma’s rows, for getAllByParent', async () => {
    for (const [parentId, parentModule] of [
      [42, 'securityplans'],
      [2_147_483_647, 'components'],
      [7, 'securityplans'],
    ] as const) {
      const want = await expected({ parentId, parentModule });
      const body = await streamed(`/api/issues/getAllByParent/${parentId}/${parentModule}`);
      expect({ parentId, parentModule, body }).toEqual({
        parentId,
        parentModule,
        body: `[${want.map((issue) => JSON.stringify(issue)).join(',')}]`,
      });
    }
  });

  it('reads at most one batch ahead of the client, and none once it has gone', async () => {
    const extra = Array.from({ length: 2000 }, (_, i) => ({ title: `Filler ${i}` }));
    await app.db.issue.createMany({ data: extra });
    try {
      const rows = issueRows(app.db);
      const read = vi.spyOn(rows, 'read');
      try {
        const response = await app.fetch('/api/issues/getAll', { headers: { authorization: `Bearer ${token}` } });
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        await reader.read();
        await reader.cancel();
        const after = read.mock.calls.length;
        // Five batches of 500 make the table; the first, and at most one on its way, were read.
        expect(after).toBeLessThanOrEqual(2);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(read.mock.calls.length).toBe(after);
        await Promise.allSettled(read.mock.results.map((r) => r.value));
      } finally {
        read.mockRestore();
      }
    } finally {
      await app.db.issue.deleteMany({ where: { title: { startsWith: 'Filler ' } } });
    }
  });

  /** What a failing findMany answered before the streams read with the driver: its error's answer. */
  async function prismaAnswer() {
    const error = await app.db.issue.findMany({ take: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeDefined();
    const answer = toAppError(error, 'test', { warn() {}, error() {} });
    return { status: answer.status, code: answer.code };
  }

  async function streamAnswer(path = '/api/issues/getAll') {
    const response = await app.fetch(path, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, code: ((await response.json()) as { error?: { code?: string } }).error?.code };
  }

  it('answers a database that is locked before the first row as it did with Prisma: 503 DATABASE_BUSY', async () => {
    if (provider === 'sqlite') {
      // The test database keeps SQLite's rollback journal: an exclusive transaction shuts readers out.
      const holder = new Database(sqlitePath(app.config.databaseUrl));
      holder.exec('BEGIN EXCLUSIVE');
      try {
        const before = await prismaAnswer();
        expect(before).toEqual({ status: 503, code: 'DATABASE_BUSY' });
        expect(await streamAnswer()).toEqual(before);
        expect(await streamAnswer('/api/issues/getAllByParent/42/securityplans')).toEqual(before);
      } finally {
        holder.exec('ROLLBACK');
        holder.close();
      }
    } else {
      // Past lock_timeout (5 s): 55P03 from the driver as from Prisma.
      const holder = new pg.Client({ connectionString: app.database.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE "Issue" IN ACCESS EXCLUSIVE MODE');
        const before = await prismaAnswer();
        expect(before).toEqual({ status: 503, code: 'DATABASE_BUSY' });
        expect(await streamAnswer()).toEqual(before);
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
    }
    expect(JSON.parse(await streamed('/api/issues/getAll'))).toHaveLength(provider === 'sqlite' ? 28 : 27);
  }, 60_000);

  it.runIf(provider === 'postgresql')(
    'answers a database that takes no connections as it did with Prisma: 503 SERVICE_UNAVAILABLE',
    async () => {
      const name = new URL(app.database.url).pathname.slice(1);
      const admin = new pg.Client({ connectionString: postgresAdminUrl });
      await admin.connect();
      try {
        // No new connections, and the open ones cut (as test/main-faults.process.test.ts does).
        await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
        const before = await prismaAnswer();
        expect(before).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
        expect(await streamAnswer()).toEqual(before);
      } finally {
        await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
        await admin.end();
      }
      await expect
        .poll(
          async () => (await app.fetch('/api/issues/getAll', { headers: { authorization: `Bearer ${token}` } })).status,
          {
            timeout: 20_000,
            interval: 200,
          },
        )
        .toBe(200);
    },
    60_000,
  );
});
