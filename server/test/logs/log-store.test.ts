import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/db/schema-engine.ts';
import type { LogLevel } from '../../src/logs/classify-level.ts';
import { alertLines, CHUNK_LINES, decodeChunk, encodeChunks } from '../../src/logs/log-chunk.ts';
import type { LogRecord, MetricRecord } from '../../src/logs/log-record.ts';
import { countLogLines, insertLogBatch, metricNames, readLogs, readMetricSeries } from '../../src/logs/log-store.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const LEVELS: LogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR'];

/** 3,500 lines: ERROR only on every 997th (so most chunks have none), odd texts for the search. */
function makeLines(count: number): LogRecord[] {
  const time = new Date('2026-12-01T10:00:00.000Z');
  return Array.from({ length: count }, (_, i) => {
    const seq = i + 1;
    const level = seq % 997 === 0 ? 'ERROR' : LEVELS[seq % 3];
    const text =
      seq % 250 === 0 ? `Validation LOSS 100%_done\tseq=${seq}` : seq % 41 === 0 ? `warn: loss spiked at ${seq}` : seq % 333 === 0 ? `ünïcødé 😀 Straße ${seq}` : `step ${seq}`;
    return { seq, stream: seq % 5 === 0 ? 'STDERR' : 'STDOUT', level, text, time: new Date(time.getTime() + seq) };
  });
}

describe('log storage in chunks (readLogs and the logs query)', () => {
  let server: TestServer;
  let jobId: string;
  const all = makeLines(3_500);

  beforeAll(async () => {
    server = await startTestServer();
    const { db } = server.app.services;
    jobId = (await db.prisma.job.create({ data: { kind: 'TUNE', command: ['true'] }, select: { id: true } })).id;
    // Two transactions, as the pipeline writes them; the first is sent twice (a retry after a lost reply).
    const first = all.slice(0, 1_800);
    const rows = { chunks: encodeChunks(first), alerts: alertLines(first), metrics: [] };
    await insertLogBatch(db, jobId, rows, { lastSeq: 1_800, logOffset: 0 });
    await insertLogBatch(db, jobId, rows, { lastSeq: 1_800, logOffset: 0 });
    await insertLogBatch(db, jobId, { chunks: encodeChunks(all.slice(1_800)), alerts: alertLines(all.slice(1_800)), metrics: [] }, { lastSeq: all.length, logOffset: 0 });
  });
  afterAll(async () => server?.close());

  /** What readLogs must return, computed naively from the lines in memory. */
  function expected(query: { afterSeq?: number; beforeSeq?: number; levels?: LogLevel[]; search?: string; limit: number; tail?: boolean }) {
    const matching = all.filter(
      (r) =>
        r.seq > (query.afterSeq ?? 0) &&
        r.seq < (query.beforeSeq ?? Infinity) &&
        (!query.levels?.length || query.levels.includes(r.level)) &&
        (!query.search || r.text.toLowerCase().includes(query.search.toLowerCase())),
    );
    return query.tail ? matching.slice(-query.limit) : matching.slice(0, query.limit);
  }

  it('stores each line once, in chunks of at most 1,000 lines', async () => {
    const { db } = server.app.services;
    expect(await countLogLines(db, jobId)).toBe(all.length);
    const chunks = await db.prisma.logChunk.findMany({ where: { jobId }, orderBy: { toSeq: 'asc' } });
    expect(chunks.every((c) => c.lines <= CHUNK_LINES)).toBe(true);
    expect(chunks.flatMap((c) => decodeChunk(c.data))).toEqual(all);
  });

  it.each([
    ['everything', { limit: 10_000 }],
    ['a page from the start', { limit: 500 }],
    ['a page across a chunk boundary', { afterSeq: 950, limit: 120 }],
    ['a seq range', { afterSeq: 1_200, beforeSeq: 2_400, limit: 10_000 }],
    ['the tail', { limit: 50, tail: true }],
    ['the tail of a range, across chunks', { afterSeq: 10, beforeSeq: 2_050, limit: 1_500, tail: true }],
    ['a rare level (only some chunks have it)', { levels: ['ERROR'], limit: 100 }],
    ['the last ERROR line', { levels: ['ERROR'], limit: 1, tail: true }],
    ['two levels after a seq', { levels: ['ERROR', 'WARNING'], afterSeq: 3_000, limit: 1_000 }],
    ['WARNING and ERROR lines, the tail of a range', { levels: ['WARNING', 'ERROR'], afterSeq: 100, beforeSeq: 3_100, limit: 40, tail: true }],
    ['a level that is not an alert (from the chunks)', { levels: ['DEBUG'], afterSeq: 900, limit: 300 }],
    ['an alert level and another (from the chunks)', { levels: ['DEBUG', 'ERROR'], limit: 2_000 }],
    ['INFO and WARNING, the tail (from the chunks)', { levels: ['INFO', 'WARNING'], limit: 25, tail: true }],
    ['ERROR lines with text', { levels: ['ERROR'], search: 'STEP', limit: 10 }],
    ['case-insensitive text', { search: 'LOSS', limit: 1_000 }],
    ['text with LIKE wildcards, literally', { search: '100%_d', limit: 1_000 }],
    ['text with a tab', { search: 'done\tseq=1750', limit: 10 }],
    ['text and level and range together', { search: 'loss', levels: ['INFO'], afterSeq: 500, beforeSeq: 3_000, limit: 7 }],
    ['text that matches nothing', { search: 'no such line', limit: 10 }],
    ['non-ASCII text, case-insensitively', { search: 'ÜNÏCØDÉ 😀 STRAßE', limit: 100 }],
    ['non-ASCII text as written', { search: 'ünïcødé 😀', limit: 100 }],
    ['text that only the stored form has (a level name)', { search: 'ERROR', limit: 10 }],
  ] as const)('reads %s exactly as the lines say', async (_name, query) => {
    const q = { ...query, levels: 'levels' in query ? [...query.levels] : undefined };
    const got = await readLogs(server.app.services.db, jobId, q);
    const want = expected(q);
    // Each case selects something (but those meant to select nothing), so that it can fail.
    expect(want.length > 0).toBe(!_name.includes('matches nothing') && !_name.includes('only the stored form'));
    expect(got.map((r) => r.seq)).toEqual(want.map((r) => r.seq));
    expect(got).toEqual(want);
  });

  it('keeps the WARNING and ERROR lines once more, one row each', async () => {
    const rows = await server.app.services.db.prisma.logAlertLine.findMany({ where: { jobId }, orderBy: { seq: 'asc' } });
    expect(rows).toEqual(all.filter((r) => r.level === 'WARNING' || r.level === 'ERROR').map((r) => ({ jobId, ...r })));
  });

  it.each([
    ['WARNING, ERROR', ['WARNING', 'ERROR'] as LogLevel[]],
    ['DEBUG, ERROR', ['DEBUG', 'ERROR'] as LogLevel[]],
  ])('pages through a log filtered by %s and text with the logs query: every match once, in order', async (_name, levels) => {
    const seen: number[] = [];
    let afterSeq = 0;
    for (let page = 0; page < 50; page++) {
      const res = await server.gql('query($id: ID!, $after: Int, $levels: [LogLevel!]) { logs(jobId: $id, afterSeq: $after, levels: $levels, search: "loss", first: 7) { hasMore lines { seq level text } } }', {
        id: jobId,
        after: afterSeq,
        levels,
      });
      expect(res.errors).toBeUndefined();
      const { lines, hasMore } = res.data.logs;
      seen.push(...lines.map((l: { seq: number }) => l.seq));
      if (!hasMore) break;
      afterSeq = lines.at(-1).seq;
    }
    expect(seen).toEqual(expected({ levels, search: 'loss', limit: 10_000 }).map((r) => r.seq));
    expect(seen.length).toBeGreaterThan(7);
  });
});

describe('insertLogBatch: a job that is gone, a batch stored twice', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  const batch = (count: number) => {
    const lines = makeLines(count);
    const metrics = lines.map((l) => ({ seq: l.seq, name: 'loss', step: l.seq, epoch: null, value: 1 / l.seq, time: l.time }));
    return { chunks: encodeChunks(lines), alerts: alertLines(lines), metrics };
  };

  it('stores nothing for a job that does not exist', async () => {
    const { db } = server.app.services;
    const missing = '00000000-0000-4000-8000-000000000000';
    const rows = batch(1_200);
    // With lines, their chunks' foreign key refuses them; with metrics alone, the position update finds no job.
    await expect(insertLogBatch(db, missing, rows, { lastSeq: 1_200, logOffset: 0 })).rejects.toThrow();
    await expect(insertLogBatch(db, missing, { chunks: [], alerts: [], metrics: rows.metrics }, { lastSeq: 1_200, logOffset: 0 })).rejects.toThrow(`job ${missing} no longer exists`);
    expect(await countLogLines(db, missing)).toBe(0);
    expect(await db.prisma.metricPoint.count({ where: { jobId: missing } })).toBe(0);
  });

  it('stores a batch that overlaps what is stored once: the stored part is skipped, a straddling chunk cut, a stale batch ignored', async () => {
    const { db } = server.app.services;
    const jobId = (await db.prisma.job.create({ data: { kind: 'TUNE', command: ['true'] }, select: { id: true } })).id;
    const all = batch(3_500);
    const lines = makeLines(3_500);
    // Lines 1..1,800 are stored (chunks 1..1,000 and 1,001..1,800), then a retry holds 1..3,500 (chunks 1..1,000,
    // 1,001..2,000, ...): its first chunk is stored, its second straddles the stored position.
    const firstPart = lines.slice(0, 1_800);
    await insertLogBatch(db, jobId, { chunks: encodeChunks(firstPart), alerts: alertLines(firstPart), metrics: all.metrics.slice(0, 1_800) }, { lastSeq: 1_800, logOffset: 10 });
    expect(all.chunks.map((c) => [c.fromSeq, c.toSeq]).slice(0, 2)).toEqual([
      [1, 1_000],
      [1_001, 2_000],
    ]);
    await insertLogBatch(db, jobId, all, { lastSeq: 3_500, logOffset: 20 });
    // A stale writer's batch, wholly stored, must not move the position back.
    await insertLogBatch(db, jobId, { chunks: encodeChunks(firstPart), alerts: alertLines(firstPart), metrics: [] }, { lastSeq: 1_800, logOffset: 10 });

    const chunks = await db.prisma.logChunk.findMany({ where: { jobId }, orderBy: { toSeq: 'asc' } });
    for (let i = 1; i < chunks.length; i++) expect(chunks[i].fromSeq).toBe(chunks[i - 1].toSeq + 1);
    expect(chunks.flatMap((c) => decodeChunk(c.data))).toEqual(lines);
    expect(await countLogLines(db, jobId)).toBe(3_500);
    expect(await readLogs(db, jobId, { limit: 10_000 })).toEqual(lines);
    const points = await db.prisma.metricPoint.findMany({ where: { jobId }, orderBy: { seq: 'asc' }, select: { seq: true } });
    expect(points.map((p) => p.seq)).toEqual(lines.map((l) => l.seq));
    expect(await db.prisma.logAlertLine.count({ where: { jobId } })).toBe(alertLines(lines).length);
    expect(await db.prisma.job.findUniqueOrThrow({ where: { id: jobId }, select: { lastSeq: true, logOffset: true } })).toEqual({ lastSeq: 3_500, logOffset: 20n });
    // A batch without lines at the stored seq (a read that ended inside a line) still moves the offsets on.
    await insertLogBatch(db, jobId, { chunks: [], alerts: [], metrics: [] }, { lastSeq: 3_500, logOffset: 20, offsets: { STDOUT: 4_321, STDERR: 7 } });
    expect(await db.prisma.job.findUniqueOrThrow({ where: { id: jobId }, select: { lastSeq: true, stdoutOffset: true, stderrOffset: true } })).toEqual({ lastSeq: 3_500, stdoutOffset: 4_321n, stderrOffset: 7n });
  });

  it('stores a batch whose rows exist already after the stored position (an older server), or whose metric names are one in UTF-8, once', async () => {
    const { db } = server.app.services;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const jobId = (await db.prisma.job.create({ data: { kind: 'TUNE', command: ['true'] }, select: { id: true } })).id;
      const rows = batch(1_500);
      await insertLogBatch(db, jobId, rows, { lastSeq: 1_500, logOffset: 0 });
      // An older server's second writer could move the position back, with the rows after it kept.
      await db.prisma.job.update({ where: { id: jobId }, data: { lastSeq: 700 } });
      await insertLogBatch(db, jobId, rows, { lastSeq: 1_500, logOffset: 0 });
      expect(await countLogLines(db, jobId)).toBe(1_500);
      expect(await readLogs(db, jobId, { limit: 2_000 })).toEqual(makeLines(1_500));
      expect(await db.prisma.metricPoint.count({ where: { jobId } })).toBe(1_500);
      expect((await db.prisma.job.findUniqueOrThrow({ where: { id: jobId } })).lastSeq).toBe(1_500);

      // Two names with lone surrogates, both U+FFFD once encoded: one point.
      const time = new Date('2026-12-01T10:00:00.000Z');
      const line = { seq: 1_501, stream: 'STDOUT' as const, level: 'INFO' as const, text: 'odd names', time };
      const metrics = ['loss\ud800', 'loss\udc00'].map((name, i) => ({ seq: 1_501, name, step: null, epoch: null, value: i, time }));
      await insertLogBatch(db, jobId, { chunks: encodeChunks([line]), alerts: [], metrics }, { lastSeq: 1_501, logOffset: 0 });
      expect(await db.prisma.metricPoint.findMany({ where: { jobId, seq: 1_501 }, select: { name: true } })).toEqual([{ name: 'loss\uFFFD' }]);
      expect(await countLogLines(db, jobId)).toBe(1_501);
      expect(warn).toHaveBeenCalledTimes(2);
    } finally {
      warn.mockRestore();
    }
  });

  it('stores nothing of a batch the database refuses part of, and takes the next one', async () => {
    const { db } = server.app.services;
    const jobId = (await db.prisma.job.create({ data: { kind: 'TUNE', command: ['true'] }, select: { id: true } })).id;
    const good = batch(1_200);
    // A chunk whose bytes are not UTF-8 (the pipeline never makes one): the database refuses its row mid-COPY.
    const bad = { ...good.chunks[1], bytes: Buffer.from([0x31, 0x09, 0xff, 0xfe, 0x0a]), data: '1\t\uFFFD\n' };
    for (let attempt = 0; attempt < 3; attempt++) {
      await expect(insertLogBatch(db, jobId, { ...good, chunks: [good.chunks[0], bad] }, { lastSeq: 1_200, logOffset: 0 })).rejects.toThrow();
    }
    expect(await countLogLines(db, jobId)).toBe(0);
    expect(await db.prisma.metricPoint.count({ where: { jobId } })).toBe(0);
    expect((await db.prisma.job.findUniqueOrThrow({ where: { id: jobId } })).lastSeq).toBe(0);
    await insertLogBatch(db, jobId, good, { lastSeq: 1_200, logOffset: 0 });
    expect(await readLogs(db, jobId, { limit: 2_000 })).toEqual(makeLines(1_200));
    expect(await db.prisma.metricPoint.count({ where: { jobId } })).toBe(1_200);
  });

  it("deletes a job's chunks and metric points with the job", async () => {
    const { db } = server.app.services;
    const [kept, deleted] = await Promise.all([0, 1].map(async () => (await db.prisma.job.create({ data: { kind: 'TUNE', command: ['true'] }, select: { id: true } })).id));
    for (const id of [kept, deleted]) {
      await insertLogBatch(db, id, batch(1_500), { lastSeq: 1_500, logOffset: 0 });
      expect(await db.prisma.metricPoint.count({ where: { jobId: id } })).toBe(1_500);
    }
    await db.prisma.job.delete({ where: { id: deleted } });
    expect(await countLogLines(db, deleted)).toBe(0);
    expect(await db.prisma.metricPoint.count({ where: { jobId: deleted } })).toBe(0);
    expect(await countLogLines(db, kept)).toBe(1_500);
    expect(await db.prisma.metricPoint.count({ where: { jobId: kept } })).toBe(1_500);
  });
});

describe('readLogs on what real jobs write', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  const newJob = async () => (await server.app.services.db.prisma.job.create({ data: { kind: 'TUNE', command: ['true'] }, select: { id: true } })).id;

  it('finds text the database matches case-insensitively, beyond ASCII', async () => {
    const { db } = server.app.services;
    const jobId = await newJob();
    const lines = makeLines(30).map((r) => (r.seq === 10 ? { ...r, text: 'Saved to İstanbul' } : r.seq === 20 ? { ...r, text: 'ΟΔΟΣ reached' } : r));
    await insertLogBatch(db, jobId, { chunks: encodeChunks(lines), alerts: alertLines(lines), metrics: [] }, { lastSeq: 30, logOffset: 0 });
    for (const [search, seq] of [
      ['istanbul', 10],
      ['İSTANBUL', 10],
      ['οδοσ', 20],
      ['ΟΔΟΣ REACHED', 20],
    ] as const) {
      expect((await readLogs(db, jobId, { search, limit: 10 })).map((r) => r.seq), search).toEqual([seq]);
    }
  });

  it('stores alert lines and metric points whose texts and names need quoting in an array, exactly', async () => {
    const { db } = server.app.services;
    const jobId = await newJob();
    const time = new Date('2026-12-01T10:00:00.000Z');
    const texts = ['WARNING: "quoted" \\ back\\slash {braces}, commas', 'ERROR: NULL', 'WARNING: ', 'ERROR: ünïcødé 😀 \t tab'];
    const lines: LogRecord[] = texts.map((text, i) => ({ seq: i + 1, stream: i % 2 ? 'STDERR' : 'STDOUT', level: text.startsWith('ERROR') ? 'ERROR' : 'WARNING', text, time: i === 3 ? new Date(time.getTime() + 1) : time }));
    const names = ['loss', 'a "quoted" name', 'back\\slash', 'NULL', '{x,y}', 'ünï'];
    const metrics = names.map((name, i) => ({ seq: 1 + (i % 4), name, step: i % 2 ? null : i * 1e21, epoch: i % 3 ? 0.5 : null, value: i === 0 ? 5e-5 : -i, time }));
    await insertLogBatch(db, jobId, { chunks: encodeChunks(lines), alerts: alertLines(lines), metrics }, { lastSeq: 4, logOffset: 0 });
    expect(await readLogs(db, jobId, { levels: ['WARNING', 'ERROR'], limit: 10 })).toEqual(lines);
    const stored = await db.prisma.metricPoint.findMany({ where: { jobId }, orderBy: [{ seq: 'asc' }, { name: 'asc' }], select: { seq: true, name: true, step: true, epoch: true, value: true, time: true } });
    // Sorted here: the database's collation orders these names its own way.
    const bySeqAndName = (a: { seq: number; name: string }, b: { seq: number; name: string }) => a.seq - b.seq || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    expect(stored.sort(bySeqAndName)).toEqual([...metrics].sort(bySeqAndName));
  });

  it('answers a NUL in search, metric names and a leaderboard metric as the U+FFFD it is stored as, and a forged jobs cursor with INVALID_INPUT', async () => {
    const { db } = server.app.services;
    const jobId = await newJob();
    const time = new Date('2026-12-01T10:00:00.000Z');
    const lines: LogRecord[] = ['before', 'nul:\uFFFD:byte', 'after'].map((text, i) => ({ seq: i + 1, stream: 'STDOUT', level: 'INFO', text, time }));
    await insertLogBatch(db, jobId, { chunks: encodeChunks(lines), alerts: [], metrics: [{ seq: 2, name: 'a\uFFFDb', step: 1, epoch: null, value: 0.5, time }] }, { lastSeq: 3, logOffset: 0 });

    const logs = await server.gql('query($id: ID!, $s: String) { logs(jobId: $id, search: $s) { lines { seq } } }', { id: jobId, s: ':\u0000:' });
    expect(logs.errors).toBeUndefined();
    expect(logs.data.logs.lines).toEqual([{ seq: 2 }]);
    const series = await server.gql('query($id: ID!, $n: String!) { metrics(jobId: $id, name: $n) { points { value } } }', { id: jobId, n: 'a\u0000b' });
    expect(series.errors).toBeUndefined();
    expect(series.data.metrics.points).toEqual([{ value: 0.5 }]);
    const board = await server.gql('query($m: String) { leaderboard(metric: $m) { totalCount } }', { m: 'val\u0000loss' });
    expect(board.errors).toBeUndefined();
    expect(board.data.leaderboard.totalCount).toBe(0);

    const forged = Buffer.from(JSON.stringify(['2026-12-01T20:00:00Z', 'notauuid'])).toString('base64url');
    const page = await server.gql('query($after: String) { jobs(after: $after) { totalCount } }', { after: forged });
    expect(page.errors?.[0].extensions?.code).toBe('INVALID_INPUT');
    expect(page.errors?.[0].message).toBe('after is not a cursor returned by jobs');

    for (const [field, value] of [['afterSeq', -1], ['beforeSeq', -1], ['beforeSeq', 2_147_483_647 + 1]] as const) {
      const res = await server.gql(`query($id: ID!, $v: Int) { logs(jobId: $id, ${field}: $v) { lines { seq } } }`, { id: jobId, v: value });
      expect(res.errors?.[0].extensions?.code, `${field} ${value}`).toBe('INVALID_INPUT');
    }
    const before = await server.gql('query($id: ID!) { logs(jobId: $id, beforeSeq: 3) { lines { seq } } }', { id: jobId });
    expect(before.data.logs.lines).toEqual([{ seq: 1 }, { seq: 2 }]);
  });

  it('pages through a log written slowly (a small chunk per flush) in a few round trips', async () => {
    const { db } = server.app.services;
    const jobId = await newJob();
    const lines = makeLines(1_000);
    // One transaction per line, as a job that prints once a second leaves it: 1,000 one-line chunks.
    for (const line of lines) await insertLogBatch(db, jobId, { chunks: encodeChunks([line]), alerts: [], metrics: [] }, { lastSeq: line.seq, logOffset: 0 });
    const driver = (db.pool ?? db.pglite)!;
    const spy = vi.spyOn(driver, 'query');
    // Only the reads of chunks count: the server's own work (heartbeats, the queue) shares the driver meanwhile.
    const chunkReads = () => spy.mock.calls.filter(([sql]) => typeof sql === 'string' && sql.includes('"LogChunk"')).length;
    try {
      expect((await readLogs(db, jobId, { limit: 501 })).map((r) => r.seq)).toEqual(lines.slice(0, 501).map((r) => r.seq));
      expect(chunkReads()).toBe(1);
      spy.mockClear();
      expect((await readLogs(db, jobId, { limit: 501, tail: true })).map((r) => r.seq)).toEqual(lines.slice(-501).map((r) => r.seq));
      expect(chunkReads()).toBe(1);
      // Filtered, the chunks taken per round trip double: a handful of round trips, not one per line.
      spy.mockClear();
      const debug = lines.filter((r) => r.level === 'DEBUG');
      expect((await readLogs(db, jobId, { levels: ['DEBUG'], limit: 200 })).map((r) => r.seq)).toEqual(debug.slice(0, 200).map((r) => r.seq));
      expect(chunkReads()).toBeLessThanOrEqual(8);
    } finally {
      spy.mockRestore();
    }
  });
});

/** The metric blocks as the points stored make them, computed by the database from MetricPoint. */
async function blocksFromPoints(query: (sql: string) => Promise<unknown[]>, jobId: string) {
  const point = (first: string) =>
    `ARRAY[${first}, coalesce(step, 'NaN'), coalesce(epoch, 'NaN'), (extract(epoch FROM time) * 1000)::float8]`;
  return query(`SELECT name, seq / 256 AS block, count(*)::int AS count,
      min(${point('seq::float8, value')}) AS first, max(${point('seq::float8, value')}) AS last,
      min(${point('value, seq::float8')}) AS lo, max(${point('value, seq::float8')}) AS hi
    FROM "MetricPoint" WHERE "jobId" = '${jobId}' GROUP BY name, seq / 256 ORDER BY name, block`);
}
const storedBlocks = (query: (sql: string) => Promise<unknown[]>, jobId: string) =>
  query(`SELECT name, block, count, first, last, lo, hi FROM "MetricBlock" WHERE "jobId" = '${jobId}' ORDER BY name, block`);

describe('metric blocks (downsampled series and metric names without reading every point)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  const time0 = Date.parse('2026-12-01T10:00:00.000Z');
  /** `loss` on every line from 1 to 3,000 with a spike at 1,777 and a dip at 2,222; `lr` on every 3rd line, no step. */
  function points(from: number, to: number): MetricRecord[] {
    const out: MetricRecord[] = [];
    for (let seq = from; seq <= to; seq++) {
      const value = seq === 1_777 ? 50 : seq === 2_222 ? -50 : Math.sin(seq / 40) + ((seq * 7919) % 13) / 100;
      out.push({ seq, name: 'loss', step: seq * 2, epoch: Math.floor(seq / 1000), value, time: new Date(time0 + seq) });
      if (seq % 3 === 0) out.push({ seq, name: 'lr', step: null, epoch: null, value: 0.001, time: new Date(time0 + seq) });
    }
    return out;
  }
  const lines = (from: number, to: number): LogRecord[] =>
    Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, stream: 'STDOUT', level: 'INFO', text: `line ${from + i}`, time: new Date(time0) }));
  const store = (jobId: string, from: number, to: number, metrics = points(from, to)) =>
    insertLogBatch(server.app.services.db, jobId, { chunks: encodeChunks(lines(from, to)), alerts: [], metrics }, { lastSeq: to, logOffset: 0 });
  const query = (sql: string) => server.app.services.db.prisma.$queryRawUnsafe<unknown[]>(sql);

  it('are exact after batches that cut blocks, after the fallback that skips points that exist, and give names their counts', async () => {
    const { db } = server.app.services;
    const jobId = (await db.prisma.job.create({ data: { kind: 'TUNE', command: ['true'] }, select: { id: true } })).id;
    // Batch limits inside blocks (256 lines each): 1..1000, 1001..2100, 2101..3000.
    await store(jobId, 1, 1_000);
    await store(jobId, 1_001, 2_100);
    // Points after the stored position left by an older server: COPY refuses them, the statements skip them.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await db.prisma.metricPoint.createMany({ data: points(2_101, 2_150).map((m) => ({ ...m, jobId })) });
      await store(jobId, 2_101, 3_000);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
    const blocks = await storedBlocks(query, jobId);
    expect(blocks).toHaveLength(2 * (Math.floor(3_000 / 256) + 1));
    expect(blocks).toEqual(await blocksFromPoints(query, jobId));
    expect(await metricNames(db, jobId)).toEqual([
      { name: 'loss', count: 3_000 },
      { name: 'lr', count: 1_000 },
    ]);
  });

  it('give a downsampled series of real points that keeps the first, the last and the extremes', async () => {
    const { db } = server.app.services;
    const jobId = (await db.prisma.job.create({ data: { kind: 'TUNE', command: ['true'] }, select: { id: true } })).id;
    await store(jobId, 1, 1_500);
    await store(jobId, 1_501, 3_000);
    const all = new Map(points(1, 3_000).filter((m) => m.name === 'loss').map((m) => [m.seq, m]));
    for (const maxPoints of [8, 40, 100, 2_000]) {
      const series = await readMetricSeries(db, jobId, 'loss', maxPoints);
      expect(series.totalPoints).toBe(3_000);
      expect(series.downsampled).toBe(true);
      expect(series.points.length).toBeLessThanOrEqual(maxPoints);
      expect(series.points.length).toBeGreaterThanOrEqual(Math.min(maxPoints / 4, 12));
      const seqs = series.points.map((p) => p.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      for (const seq of [1, 1_777, 2_222, 3_000]) expect(seqs, `maxPoints ${maxPoints}`).toContain(seq);
      for (const p of series.points) expect(p).toEqual(all.get(p.seq));
    }
    // Fewer points than asked for: all of them, not downsampled.
    const lr = await readMetricSeries(db, jobId, 'lr', 1_000);
    expect(lr).toMatchObject({ totalPoints: 1_000, downsampled: false });
    expect(lr.points.map((p) => p.seq)).toEqual(Array.from({ length: 1_000 }, (_, i) => (i + 1) * 3));
    expect(await readMetricSeries(db, jobId, 'missing', 100)).toEqual({ name: 'missing', totalPoints: 0, downsampled: false, points: [] });
  });

  it('go with their job', async () => {
    const { db } = server.app.services;
    const jobId = (await db.prisma.job.create({ data: { kind: 'TUNE', command: ['true'] }, select: { id: true } })).id;
    await store(jobId, 1, 600);
    expect(await db.prisma.metricBlock.count({ where: { jobId } })).toBeGreaterThan(0);
    await db.prisma.job.delete({ where: { id: jobId } });
    expect(await db.prisma.metricBlock.count({ where: { jobId } })).toBe(0);
  });
});

describe('migrations that carry data over', () => {
  let pglite: PGlite;
  beforeEach(async () => {
    pglite = new PGlite();
  });
  afterEach(async () => pglite?.close());

  /** Applies the migrations before the one whose name ends in `_${name}`, then `seed`, then the rest. */
  async function migrateAcross(name: string, seed: () => Promise<void>): Promise<void> {
    const names = (await readdir(MIGRATIONS_DIR)).filter((d) => /^\d+_/.test(d)).sort();
    const at = names.findIndex((n) => n.endsWith(`_${name}`));
    expect(at).toBeGreaterThan(0);
    const apply = async (dirs: string[]) => {
      for (const dir of dirs) await pglite.exec(await readFile(path.join(MIGRATIONS_DIR, dir, 'migration.sql'), 'utf8'));
    };
    await apply(names.slice(0, at));
    await seed();
    await apply(names.slice(at));
  }

  it('log_chunks moves existing LogLine rows into chunks that decode to the same lines', async () => {
    const jobs = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];
    await migrateAcross('log_chunks', async () => {
      for (const id of jobs) await pglite.query(`INSERT INTO "Job" (id, kind, command, "updatedAt") VALUES ($1, 'TUNE', '{}', now())`, [id]);
      // 2,345 lines for the first job (three chunks), 3 for the second; one text holds a tab, one a newline.
      await pglite.exec(`INSERT INTO "LogLine" ("jobId", seq, stream, level, text, time)
        SELECT '${jobs[0]}', s, (CASE WHEN s % 2 = 0 THEN 'STDERR' ELSE 'STDOUT' END)::"LogStream",
               (CASE WHEN s = 1500 THEN 'ERROR' ELSE 'INFO' END)::"LogLevel",
               CASE WHEN s = 7 THEN E'tab\\there' WHEN s = 8 THEN E'two\\nlines' ELSE 'line ' || s END,
               timestamp '2026-11-30 08:00:00' + s * interval '1 millisecond'
        FROM generate_series(1, 2345) AS s`);
      await pglite.exec(`INSERT INTO "LogLine" ("jobId", seq, stream, level, text, time)
        SELECT '${jobs[1]}', s, 'SYSTEM', 'WARNING', 'w' || s, timestamp '2026-11-30 08:00:00' FROM generate_series(1, 3) AS s`);

    });

    const chunks = (await pglite.query<{ jobId: string; fromSeq: number; toSeq: number; lines: number; levels: number; data: string }>(`SELECT * FROM "LogChunk" ORDER BY "jobId", "toSeq"`)).rows;
    expect(chunks.map((c) => [c.jobId, c.fromSeq, c.toSeq, c.lines, c.levels])).toEqual([
      [jobs[0], 1, 1000, 1000, 2],
      [jobs[0], 1001, 2000, 1000, 2 | 8],
      [jobs[0], 2001, 2345, 345, 2],
      [jobs[1], 1, 3, 3, 4],
    ]);
    const lines = chunks.filter((c) => c.jobId === jobs[0]).flatMap((c) => decodeChunk(c.data));
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 2345 }, (_, i) => i + 1));
    expect(lines[6]).toEqual({ seq: 7, stream: 'STDOUT', level: 'INFO', text: 'tab\there', time: new Date('2026-11-30T08:00:00.007Z') });
    expect(lines[7].text).toBe('two lines');
    expect(lines[1499]).toMatchObject({ seq: 1500, stream: 'STDERR', level: 'ERROR', text: 'line 1500' });
    const alerts = (await pglite.query<{ jobId: string; seq: number; level: string; text: string }>(`SELECT "jobId", seq, level, text FROM "LogAlertLine" ORDER BY "jobId", seq`)).rows;
    expect(alerts).toEqual([
      { jobId: jobs[0], seq: 1500, level: 'ERROR', text: 'line 1500' },
      ...[1, 2, 3].map((seq) => ({ jobId: jobs[1], seq, level: 'WARNING', text: `w${seq}` })),
    ]);
    expect((await pglite.query(`SELECT to_regclass('"LogLine"') AS t`)).rows).toEqual([{ t: null }]);
  });

  it('metric_blocks summarises the points stored before it', async () => {
    const jobId = '33333333-3333-4333-8333-333333333333';
    await migrateAcross('metric_blocks', async () => {
      await pglite.query(`INSERT INTO "Job" (id, kind, command, "updatedAt") VALUES ($1, 'TUNE', '{}', now())`, [jobId]);
      await pglite.exec(`INSERT INTO "MetricPoint" ("jobId", seq, name, step, epoch, value, time)
        SELECT '${jobId}', s, n, CASE WHEN n = 'loss' THEN s END, s / 100, sin(s / 30.0), timestamp '2026-11-30 08:00:00' + s * interval '1 millisecond'
        FROM generate_series(1, 1000) AS s, (VALUES ('loss'), ('acc')) AS v(n)`);
    });
    const query = async (sql: string) => (await pglite.query(sql)).rows;
    const blocks = await storedBlocks(query, jobId);
    expect(blocks).toHaveLength(8);
    expect(blocks).toEqual(await blocksFromPoints(query, jobId));
  });
});
