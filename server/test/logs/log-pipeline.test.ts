import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { EventBus } from '../../src/events/event-bus.ts';
import { alertLines, decodeChunk, encodeChunks } from '../../src/logs/log-chunk.ts';
import { insertLogBatch } from '../../src/logs/log-store.ts';
import { JobLogPipeline } from '../../src/logs/log-pipeline.ts';
import { estimatedJsonBytes, logTopic, MAX_MESSAGE_JSON_BYTES, type LogEvent, type LogRecord } from '../../src/logs/log-record.ts';
import { startTestServer, TEST_DATABASE, waitFor, type TestServer } from '../support/test-server.ts';
import { getJob, logFileLines, range, startJob, trainer, useTrainer, waitForJob } from '../jobs/job-helpers.ts';
import { readLogs } from '../../src/logs/log-store.ts';

/**
 * A stand-in for the database that records what insertLogBatch sends, and fails the transactions it is told
 * to (a lost connection, a database restart).
 */
function fakeDatabase() {
  const rows = new Map<number, string>();
  const state = { failuresLeft: 0, transactions: 0, lastSeq: 0, logOffset: 0, positions: [] as { lines: number; lastSeq: number; stdoutOffset: number }[] };
  const prisma = {
    $executeRawUnsafe: (sql: string, ...params: unknown[]) => ({ sql, params }),
    async $transaction(statements: { sql: string; params: any[] }[]) {
      state.transactions++;
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (state.failuresLeft > 0) {
        state.failuresLeft--;
        throw new Error('Connection terminated unexpectedly');
      }
      const chunkStatement = statements.find((st) => st.sql.includes('"LogChunk"'));
      // Parameters: the job id, then per chunk fromSeq, toSeq, lines, levels, data.
      const chunkParams = (chunkStatement?.params.slice(1) ?? []) as (number | string)[];
      const chunkData = chunkParams.filter((_, i) => i % 5 === 4) as string[];
      const lines = chunkParams.filter((_, i) => i % 5 === 2).reduce<number>((a, b) => a + Number(b), 0);
      for (const { sql, params } of statements) {
        if (sql.includes('UPDATE "Job"')) {
          state.lastSeq = params[1];
          state.logOffset = Number(params[2]);
          state.positions.push({ lines, lastSeq: params[1], stdoutOffset: Number(params[3]) });
        } else if (sql.includes('"LogChunk"')) {
          for (const data of chunkData) {
            for (const record of decodeChunk(data)) if (!rows.has(record.seq)) rows.set(record.seq, record.text);
          }
        }
      }
    },
  };
  return { db: { prisma } as unknown as Database, rows, state };
}

describe('JobLogPipeline', () => {
  let dir: string;
  beforeAll(async () => {
    // The retries below log each failure on purpose.
    vi.spyOn(console, 'error').mockImplementation(() => {});
    dir = await mkdtemp(path.join(tmpdir(), 'anana-pipeline-'));
    await mkdir(path.join(dir, 'logs'));
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  function pipeline(db: Database, logPath: string, events = new EventBus(), lastSeq = 0, logOffset = 0) {
    return new JobLogPipeline({ db, events, jobId: 'job', logPath, lastSeq, logOffset, offsets: { STDOUT: 0, STDERR: 0 }, flushIntervalMs: 5 });
  }

  it('retries a failed batch without writing its lines to the .log file twice', async () => {
    const { db, rows, state } = fakeDatabase();
    const logPath = path.join(dir, 'logs', 'retry.log');
    const p = pipeline(db, logPath);
    await p.open();
    state.failuresLeft = 3;
    p.ingest('STDOUT', range(100).map((i) => ({ text: `line ${i}` })), 700);
    await waitFor(() => rows.size === 100 && p.persistedSeq === 100, 10_000, 'the batch to be persisted');
    p.ingest('STDOUT', [{ text: 'line 101' }], 709);
    await p.close({ ended: true });
    expect(state.transactions).toBeGreaterThanOrEqual(5);
    expect([...rows.keys()]).toEqual(range(101));
    const file = await logFileLines(dir, 'retry');
    expect(file.map((l) => l.seq)).toEqual(range(101));
    expect(file.map((l) => l.text)).toEqual(range(101).map((i) => `line ${i}`));
    expect(state.logOffset).toBe((await readFile(logPath)).length);
  });

  it('gives readers the lines and metrics not yet persisted, after a seq, as they were ingested', async () => {
    const { db, rows, state } = fakeDatabase();
    const events = new EventBus();
    const published: LogRecord[] = [];
    events.subscribe(logTopic('job'), (message) => {
      const event = message.payload as LogEvent;
      if (event.type === 'batch') published.push(...event.lines);
    });
    const p = pipeline(db, path.join(dir, 'logs', 'pending.log'), events);
    await p.open();
    state.failuresLeft = 1_000;
    const texts = range(1_300).map((i) => (i % 100 === 0 ? `ERROR: step=${i} loss=0.25 ünï` : i % 7 === 0 ? `WARNING: ${'w'.repeat(i)}` : `line ${i}`));
    p.ingest('STDOUT', texts.slice(0, 1_000).map((text) => ({ text })), 10_000, range(1_000).map((i) => i * 10));
    p.ingest('STDERR', texts.slice(1_000).map((text) => ({ text })), 3_000);
    expect(published.map((r) => r.seq)).toEqual(range(1_300));
    const isAlert = (r: LogRecord) => r.level !== 'INFO';
    for (const afterSeq of [0, 499, 1_000, 1_299, 1_300]) {
      expect(p.pendingLinesAfter(afterSeq)).toEqual(published.filter((r) => r.seq > afterSeq));
      // A limit counts the lines kept: the first 150 after the seq, the first 60 alert lines after it.
      expect(p.pendingLinesAfter(afterSeq, 150)).toEqual(published.filter((r) => r.seq > afterSeq).slice(0, 150));
      expect(p.pendingLinesAfter(afterSeq, 60, isAlert)).toEqual(published.filter((r) => r.seq > afterSeq && isAlert(r)).slice(0, 60));
      expect(p.pendingMetricsAfter(afterSeq).map((m) => [m.seq, m.name, m.value])).toEqual(
        range(1_300)
          .filter((i) => i % 100 === 0 && i > afterSeq)
          .flatMap((i) => [[i, 'loss', 0.25]]),
      );
    }
    state.failuresLeft = 0;
    await p.close({ ended: true });
    expect(rows.size).toBe(1_300);
    expect([p.pendingLinesAfter(0), p.pendingMetricsAfter(0)]).toEqual([[], []]);
  });

  it('keeps waiting readers back while persisting fails, instead of buffering without bound', async () => {
    const { db, rows, state } = fakeDatabase();
    const p = new JobLogPipeline({ db, events: new EventBus(), jobId: 'job', logPath: path.join(dir, 'logs', 'bounded.log'), lastSeq: 0, logOffset: 0, offsets: { STDOUT: 0, STDERR: 0 }, maxPendingLines: 50, flushIntervalMs: 5 });
    await p.open();
    state.failuresLeft = 4;
    p.ingest('STDOUT', range(60).map((i) => ({ text: `line ${i}` })));
    let admitted = false;
    const wait = p.waitForCapacity().then(() => (admitted = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(admitted).toBe(false);
    await wait;
    expect(rows.size).toBe(60);
    await p.close({ ended: false });
  });

  it('persists a large read in short transactions, each with the exact offset after its last line', async () => {
    const { db, rows, state } = fakeDatabase();
    const p = pipeline(db, path.join(dir, 'logs', 'split.log'));
    await p.open();
    // 6,000 lines of 10 bytes read at once, then 5 bytes of an unfinished line; embedded transactions take 2,500.
    p.ingest('STDOUT', range(6_000).map((i) => ({ text: `l${String(i).padStart(8, '0')}` })), 60_000, range(6_000).map((i) => i * 10));
    await p.close({ ended: true });
    expect(rows.size).toBe(6_000);
    expect(state.positions).toEqual([
      { lines: 2_500, lastSeq: 2_500, stdoutOffset: 25_000 },
      { lines: 2_500, lastSeq: 5_000, stdoutOffset: 50_000 },
      { lines: 1_000, lastSeq: 6_000, stdoutOffset: 60_000 },
    ]);
  });

  it("publishes a large read in pieces a subscriber's message can hold, in order, each with its own metrics", async () => {
    const { db, state } = fakeDatabase();
    const events = new EventBus();
    const published: Extract<LogEvent, { type: 'batch' }>[] = [];
    events.subscribe(logTopic('job'), (message) => {
      const event = message.payload as LogEvent;
      if (event.type === 'batch') published.push(event);
    });
    const p = pipeline(db, path.join(dir, 'logs', 'pieces.log'), events);
    await p.open();
    // 1,200 short lines (every 10th a metric line), 30 lines of 10 KB, 300 short ones: one read.
    const texts = [...range(1_200).map((i) => (i % 10 === 0 ? `step=${i} loss=0.5` : `line ${i}`)), ...range(30).map((i) => `${i} ${'x'.repeat(10_000)}`), ...range(300).map((i) => `tail ${i}`)];
    p.ingest('STDOUT', texts.map((text) => ({ text })), 9_999_999, texts.map((_, i) => i + 1));
    // A read that comes without line ends (a cloud job's entries) is published in pieces too, persisted whole.
    const whole = range(1_100).map((i) => ({ text: `cloud ${i}` }));
    p.ingest('STDOUT', whole, 10_000_000);
    await p.close({ ended: true });
    let seq = 0;
    for (const event of published) {
      expect(event.fromSeq).toBe(seq);
      expect(event.toSeq).toBe(event.lines.at(-1)!.seq);
      expect(event.lines.map((l) => l.seq)).toEqual(range(event.toSeq - event.fromSeq).map((i) => event.fromSeq + i));
      expect(event.lines.length).toBeLessThanOrEqual(500);
      expect(event.jsonBytes).toBe(event.lines.reduce((n, l) => n + estimatedJsonBytes(l), 0));
      expect(event.lines.length === 1 || event.jsonBytes! <= MAX_MESSAGE_JSON_BYTES).toBe(true);
      expect(event.metrics.every((m) => m.seq > event.fromSeq && m.seq <= event.toSeq)).toBe(true);
      seq = event.toSeq;
    }
    expect(seq).toBe(texts.length + whole.length);
    expect(published.flatMap((e) => e.lines.map((l) => l.text))).toEqual([...texts, ...whole.map((l) => l.text)]);
    expect(published.flatMap((e) => e.metrics.map((m) => m.seq))).toEqual(range(120).map((i) => i * 10));
    expect(published.length).toBeGreaterThan(8);
    // The whole read's lines went into one transaction, with its resume offset.
    expect(state.positions.at(-1)).toEqual({ lines: 1_100, lastSeq: seq, stdoutOffset: 10_000_000 });
  });

  it('stores a NUL byte (which PostgreSQL text cannot hold) as U+FFFD', async () => {
    const { db, rows } = fakeDatabase();
    const p = pipeline(db, path.join(dir, 'logs', 'nul.log'));
    await p.open();
    p.ingest('STDOUT', [{ text: 'a\0b' }]);
    await p.close({ ended: true });
    expect(rows.get(1)).toBe('a\uFFFDb');
  });

  it("keeps a line that arrives whole with newlines in it (a cloud job's log entry) as one line", async () => {
    const { db, rows } = fakeDatabase();
    const logPath = path.join(dir, 'logs', 'newline.log');
    const p = pipeline(db, logPath);
    await p.open();
    p.ingest('STDOUT', [{ text: 'first\n2\t2020-01-01T00:00:00.000Z\tSYSTEM\tERROR\tforged' }, { text: 'crlf\r\nend' }, { text: 'next' }]);
    await p.close({ ended: true });
    expect([...rows.entries()]).toEqual([
      [1, 'first 2\t2020-01-01T00:00:00.000Z\tSYSTEM\tERROR\tforged'],
      [2, 'crlf end'],
      [3, 'next'],
    ]);
    expect((await readFile(logPath, 'utf8')).split('\n')).toHaveLength(4);
  });

  it('gives a line that arrives whole what a terminal would show, capped like output lines', async () => {
    const { db, rows } = fakeDatabase();
    const p = pipeline(db, path.join(dir, 'logs', 'whole.log'));
    await p.open();
    p.ingest('STDOUT', [{ text: 'epoch 1 10%\repoch 1 50%\repoch 1 100%\r\nnext' }, { text: 'x'.repeat(100_000) }]);
    await p.close({ ended: true });
    expect(rows.get(1)).toBe('epoch 1 100% next');
    expect(rows.get(2)).toBe(`${'x'.repeat(16 * 1024)} …[truncated ${100_000 - 16 * 1024} bytes]`);
  });

  it('drops what a crashed server appended to the .log file after its last committed batch, and continues the numbering', async () => {
    const { db, rows } = fakeDatabase();
    const logPath = path.join(dir, 'logs', 'resume.log');
    const committed = '1\t2026-01-01T00:00:00.000Z\tSTDOUT\tINFO\tline 1\n';
    await writeFile(logPath, `${committed}2\t2026-01-01T00:00:00.000Z\tSTDOUT\tINFO\tline 2 (never committed)\n`);
    const events = new EventBus();
    const seen: LogEvent[] = [];
    events.subscribe(logTopic('job'), (m) => seen.push(m.payload as LogEvent));
    const p = pipeline(db, logPath, events, 1, Buffer.byteLength(committed));
    await p.open();
    p.ingest('STDOUT', [{ text: 'line 2' }, { text: 'line 3' }]);
    await p.close({ ended: true });
    const file = await logFileLines(dir, 'resume');
    expect(file.map((l) => [l.seq, l.text])).toEqual([
      [1, 'line 1'],
      [2, 'line 2'],
      [3, 'line 3'],
    ]);
    expect([...rows.keys()]).toEqual([2, 3]);
    expect(seen.map((e) => e.type)).toEqual(['batch', 'end']);
    expect(seen[0]).toMatchObject({ fromSeq: 1, toSeq: 3 });
  });
});

/** PGlite persists some 20,000 lines/s on two cores; PostgreSQL more. Enough either way for the pipeline to fall behind the trainer. */
const FLOOD_LINES = TEST_DATABASE === 'postgres' ? 300_000 : 200_000;

describe('output that breaks naive pipelines, through a real server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('keeps invalid UTF-8 readable, keeps the last state of a \\r progress bar, cuts a 1 MiB line, persists a flood of 200k-300k lines, and stays responsive', async () => {
    const flood = FLOOD_LINES;
    useTrainer(server, trainer('messy-output.mjs', flood));
    const id = await startJob(server.gql);
    await waitForJob(server.gql, id, ['RUNNING', 'SUCCEEDED']);

    // While the flood goes through the pipeline, other requests are still answered promptly.
    const latencies: number[] = [];
    for (;;) {
      const t0 = performance.now();
      const res = await server.gql('{ health { ok } }');
      latencies.push(performance.now() - t0);
      expect(res.data.health.ok).toBe(true);
      if ((await getJob(server.gql, id, 'status')).status !== 'RUNNING') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    latencies.sort((a, b) => a - b);
    expect(latencies.length).toBeGreaterThan(5);
    expect(latencies.at(-1)).toBeLessThan(1_000);

    const job = await getJob(server.gql, id, 'status exitCode lastSeq');
    const total = 4 + flood + 2 + 1;
    expect(job).toMatchObject({ status: 'SUCCEEDED', exitCode: 0, lastSeq: total });

    const rows = await readLogs(server.app.services.db, id, { limit: 1_000_000 });
    expect(rows.map((r) => r.seq)).toEqual(range(total));
    const texts = rows.map((r) => r.text);
    expect(texts[0]).toBe('begin');
    expect(texts[1]).toMatch(/^bad utf8: \uFFFD+ end$/);
    expect(texts[2]).toBe('nul:\uFFFD:byte');
    // One line for the whole progress bar: its final state.
    expect(texts[3]).toBe('progress 100%');
    expect(texts[4]).toMatch(/^huge x{1000,} …\[truncated \d+ bytes\]$/);
    expect(Buffer.byteLength(texts[4])).toBeLessThanOrEqual(17 * 1024);
    expect(Number(/truncated (\d+) bytes/.exec(texts[4])![1]) + Buffer.byteLength(texts[4].replace(/ …\[truncated \d+ bytes\]$/, ''))).toBe(5 + 1024 * 1024);
    const floodTexts = texts.slice(5, 5 + flood);
    expect(floodTexts[0]).toBe('flood 1');
    expect(floodTexts.every((t, i) => t === `flood ${i + 1}`)).toBe(true);
    expect(texts[5 + flood]).toBe('flood done');
    // The last line had no newline: it is kept when the process ends, cut and marked too.
    expect(texts[total - 1]).toMatch(/^tail y{1000,} …\[truncated \d+ bytes\]$/);

    const file = await logFileLines(server.resultsDir, id);
    expect(file.length).toBe(total);
    expect(file.map((l) => l.text)).toEqual(texts);
  });

  it('stores the lines of a batch whose metric points the database refuses, and the points of the next batch', async () => {
    const { db } = server.app.services;
    // A constraint the points of one line break, standing for any value or name the database cannot take.
    await db.prisma.$executeRawUnsafe(`ALTER TABLE "MetricPoint" ADD CONSTRAINT test_refused_value CHECK (value < 1e300)`);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      useTrainer(server, ['sh', '-c', "echo 'step=1 loss=0.5'; echo 'step=2 loss=1e301'; sleep 1; echo 'step=3 loss=0.25'"]);
      const id = await startJob(server.gql);
      const job = await waitForJob(server.gql, id);
      expect(job).toMatchObject({ status: 'SUCCEEDED', lastSeq: 3, error: null });
      expect((await readLogs(db, id, { limit: 10 })).map((r) => r.text)).toEqual(['step=1 loss=0.5', 'step=2 loss=1e301', 'step=3 loss=0.25']);
      expect(await db.prisma.metricPoint.findMany({ where: { jobId: id }, select: { seq: true, value: true } })).toEqual([{ seq: 3, value: 0.25 }]);
      expect(warn.mock.calls.some(([message]) => String(message).includes('the database refused the 2 metric points of lines up to 2'))).toBe(true);
    } finally {
      warn.mockRestore();
      await db.prisma.$executeRawUnsafe(`ALTER TABLE "MetricPoint" DROP CONSTRAINT test_refused_value`);
    }
  });

  it('stores metric names with an escaped NUL or a lone surrogate readably, drops names too long to index, and loses no line', async () => {
    useTrainer(server, trainer('hostile-metrics.mjs'));
    const id = await startJob(server.gql);
    const job = await waitForJob(server.gql, id);
    expect(job).toMatchObject({ status: 'SUCCEEDED', exitCode: 0, lastSeq: 7, error: null });
    const rows = await readLogs(server.app.services.db, id, { limit: 100 });
    expect(rows.map((r) => r.seq)).toEqual(range(7));
    expect(rows[0].text).toBe('before 1');
    expect(rows[6].text).toBe('after 7');
    expect((await logFileLines(server.resultsDir, id)).length).toBe(7);

    const points = await server.app.services.db.prisma.metricPoint.findMany({ where: { jobId: id }, orderBy: [{ seq: 'asc' }, { name: 'asc' }] });
    expect(points.map((p) => [p.seq, p.name, p.value])).toEqual([
      [2, 'bad\uFFFDname', 0.5],
      [2, 'loss', 0.25],
      [3, 'lone\uFFFDhalf', 0.75],
      [3, 'loss', 0.2],
      [4, 'loss', 0.15],
      [5, 'loss', 0.1],
      [6, 'loss', 0.05],
    ]);
    const res = await server.gql('query($id: ID!) { metrics(jobId: $id, name: "bad\u0000name") { name points { value } } }', { id });
    expect(res.errors).toBeUndefined();
    expect(res.data.metrics.points.map((p: { value: number }) => p.value)).toEqual([0.5]);
  });
});

describe('JobLogPipeline.open with a .log file shorter than the committed position', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startTestServer();
    dir = await mkdtemp(path.join(tmpdir(), 'anana-restore-'));
    vi.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A job whose 25,000 lines are committed; returns its id, the .log text they make, and a pipeline factory. */
  async function committedJob(name: string) {
    const { db, events } = server.app.services;
    const jobId = (await db.prisma.job.create({ data: { kind: 'TUNE', command: ['true'] }, select: { id: true } })).id;
    const time = new Date('2026-12-01T09:00:00.000Z');
    const records = range(25_000).map((seq) => ({ seq, stream: 'STDOUT' as const, level: seq % 7 === 0 ? ('WARNING' as const) : ('INFO' as const), text: `line ${seq}\twith a tab`, time }));
    const text = encodeChunks(records)
      .map((c) => c.data)
      .join('');
    const logOffset = Buffer.byteLength(text);
    await insertLogBatch(db, jobId, { chunks: encodeChunks(records), alerts: alertLines(records), metrics: [] }, { lastSeq: records.length, logOffset });
    const logPath = path.join(dir, `${name}.log`);
    const make = () => new JobLogPipeline({ db, events, jobId, logPath, lastSeq: records.length, logOffset, offsets: { STDOUT: 0, STDERR: 0 }, flushIntervalMs: 5 });
    return { jobId, text, logPath, make };
  }

  it.each([
    ['is missing', () => undefined],
    ['is empty', () => ''],
    ['lost its last lines (a commit whose reply was lost, then a crash)', (text: string) => text.slice(0, text.indexOf('\n', text.length / 2) + 1)],
    ['ends in a record cut short', (text: string) => text.slice(0, text.indexOf('\n', text.length - 5_000) + 7)],
  ])('writes the missing lines again from the database when the file %s, then goes on appending', async (_name, damage) => {
    const { text, logPath, make } = await committedJob(_name.replace(/\W+/g, '-'));
    const damaged = damage(text);
    if (damaged !== undefined) await writeFile(logPath, damaged);
    const p = make();
    await p.open();
    expect(await readFile(logPath, 'utf8')).toBe(text);
    p.ingest('STDOUT', [{ text: 'after the restart' }]);
    await p.close({ ended: true });
    const lines = (await readFile(logPath, 'utf8')).split('\n');
    expect(lines).toHaveLength(25_002);
    expect(lines[25_000]).toMatch(/^25001\t.*\tSTDOUT\tINFO\tafter the restart$/);
  });

  it('finds the last record however long it is (lines written before they were capped), and restores after it', async () => {
    const { db, events } = server.app.services;
    const jobId = (await db.prisma.job.create({ data: { kind: 'TUNE', command: ['true'] }, select: { id: true } })).id;
    const time = new Date('2026-12-01T09:00:00.000Z');
    const records = [1, 2, 3].map((seq) => ({ seq, stream: 'STDOUT' as const, level: 'INFO' as const, text: seq === 2 ? `${'7\t'.repeat(200_000)}long` : `line ${seq}`, time }));
    const chunks = encodeChunks(records);
    const text = chunks.map((c) => c.data).join('');
    await insertLogBatch(db, jobId, { chunks, alerts: [], metrics: [] }, { lastSeq: 3, logOffset: Buffer.byteLength(text) });
    const logPath = path.join(dir, 'long-record.log');
    await writeFile(logPath, text.slice(0, text.lastIndexOf('3\t')));
    const p = new JobLogPipeline({ db, events, jobId, logPath, lastSeq: 3, logOffset: Buffer.byteLength(text), offsets: { STDOUT: 0, STDERR: 0 } });
    await p.open();
    await p.close({ ended: false });
    expect(await readFile(logPath, 'utf8')).toBe(text);
  });

  it('makes the size it keeps the committed one at once', async () => {
    const { jobId, logPath, make } = await committedJob('committed-size');
    const foreign = 'not a log\nwritten by this server\n';
    await writeFile(logPath, foreign);
    const p = make();
    await p.open();
    await p.close({ ended: false });
    const job = await server.app.services.db.prisma.job.findUniqueOrThrow({ where: { id: jobId }, select: { logOffset: true } });
    expect(Number(job.logOffset)).toBe(Buffer.byteLength(foreign));
  });

  it('keeps a file that does not end with a record it wrote, and appends after it', async () => {
    const { logPath, make } = await committedJob('foreign');
    const foreign = 'not a log\nwritten by this server\n';
    await writeFile(logPath, foreign);
    const p = make();
    await p.open();
    expect(await readFile(logPath, 'utf8')).toBe(foreign);
    expect(console.warn).toHaveBeenCalledWith(expect.stringContaining('does not end with a record this server wrote'));
    p.ingest('STDOUT', [{ text: 'after the restart' }]);
    await p.close({ ended: true });
    expect(await readFile(logPath, 'utf8')).toMatch(/^not a log\nwritten by this server\n25001\t[^\n]*after the restart\n$/);
  });

  it.each([
    ['a line that starts with a tab', '\tindented\n'],
    // Longer than a record can be, shorter than the committed size (which a longer file would be cut to).
    ['1.2 MB without a newline', 'x'.repeat(1_200_000)],
    ['an empty line', 'a\n\n'],
  ])('keeps a file that ends with %s as it is', async (_name, foreign) => {
    const { logPath, make } = await committedJob(`foreign-${foreign.length}`);
    await writeFile(logPath, foreign);
    const p = make();
    await p.open();
    await p.close({ ended: false });
    expect(await readFile(logPath, 'utf8')).toBe(foreign);
  });
});
