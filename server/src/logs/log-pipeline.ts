import { open, stat, truncate, type FileHandle } from 'node:fs/promises';
import type { Database } from '../db/database.ts';
import type { EventBus } from '../events/event-bus.ts';
import { classifyLevel } from './classify-level.ts';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from './line-splitter.ts';
import { estimatedJsonBytes, logTopic, MAX_MESSAGE_JSON_BYTES, MAX_MESSAGE_LINES, type LogBatchEvent, type LogRecord, type LogStreamName, type MetricRecord } from './log-record.ts';
import { parseMetrics } from './parse-metrics.ts';
import { readableText } from './readable-text.ts';
import { alertLines, decodeChunk, encodeChunks, mergeChunks, type LogChunk } from './log-chunk.ts';
import { insertLogBatch, readLogs, UNIQUE_VIOLATION } from './log-store.ts';

export interface LogPipelineOptions {
  db: Database;
  events: EventBus;
  jobId: string;
  /** The human-readable persisted log, `<results>/logs/<jobId>.log`. */
  logPath: string;
  /** Last sequence number already persisted (0 for a new job). */
  lastSeq: number;
  /** Size of the .log file that matches `lastSeq`; anything after it is from a flush that never committed. */
  logOffset: number;
  offsets: { STDOUT: number; STDERR: number };
  flushIntervalMs?: number;
  /** Lines held in memory before readers must wait: the backpressure bound. */
  maxPendingLines?: number;
}

/** Persistence failing for longer than this is given up on (the job is then failed); shorter outages are retried. */
const RETRY_FOR_MS = 120_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * Lines per transaction. PGlite executes on this thread and runs one statement at a time: a 2,500-line batch
 * (three chunks and their metric points) holds it for about 20 ms, so requests (and their queries) are served
 * between batches. A PostgreSQL server does the work elsewhere and takes bigger ones.
 */
const MAX_BATCH_LINES = { embedded: 2_500, postgres: 10_000 } as const;
const maxBatchLines = (db: Database) => (db.kind === 'postgres' ? MAX_BATCH_LINES.postgres : MAX_BATCH_LINES.embedded);
/** The .log file is searched backwards for its last records this much at a time, and this far at most. */
const RESTORE_SCAN_BYTES = 256 * 1024;
const RESTORE_SCAN_LIMIT = 64 * 1024 * 1024;
/** A record cut short is at most this long (lines are capped at 16 KB); a file without any newline that is longer is not ours. */
const MAX_RECORD_BYTES = 1024 * 1024;
/** {@link lastNewline} found none within {@link RESTORE_SCAN_LIMIT}. */
const RESTORE_GAVE_UP = -2;

/** Lines read from the database at a time when the .log file is restored. */
const RESTORE_PAGE_LINES = 10_000;
/**
 * A large read is published and queued in pieces of at most this many lines (it divides both batch maxima, so
 * transactions take pieces whole) and at most {@link MAX_MESSAGE_JSON_BYTES} as a subscriber's JSON.
 */
const PIECE_LINES = MAX_MESSAGE_LINES;

/** [start, end) and JSON size of each piece of `records` (at least one line each). */
function* pieces(records: readonly LogRecord[]): Generator<[start: number, end: number, jsonBytes: number]> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const size = estimatedJsonBytes(records[i]);
    if (i > start && (i - start === PIECE_LINES || bytes + size > MAX_MESSAGE_JSON_BYTES)) {
      yield [start, i, bytes];
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < records.length) yield [start, records.length, bytes];
}

/** The position of the last newline before `before` in the file, -1 if there is none, RESTORE_GAVE_UP if too far back. */
async function lastNewline(file: FileHandle, before: number): Promise<number> {
  const window = Buffer.alloc(Math.min(RESTORE_SCAN_BYTES, Math.max(before, 1)));
  for (let to = before; to > 0; ) {
    if (before - to >= RESTORE_SCAN_LIMIT) return RESTORE_GAVE_UP;
    const from = Math.max(0, to - window.length);
    const { bytesRead } = await file.read(window, 0, to - from, from);
    const at = window.subarray(0, bytesRead).lastIndexOf(10);
    if (at !== -1) return from + at;
    to = from;
  }
  return -1;
}

/** Appends the buffers to the .log file whole: a short write (a full disk) throws, and the caller cuts the file back. */
async function appendWhole(file: FileHandle, logPath: string, buffers: readonly Buffer[]): Promise<number> {
  const size = buffers.reduce((total, b) => total + b.length, 0);
  const { bytesWritten } = await file.writev(buffers);
  if (bytesWritten !== size) throw new Error(`short write to ${logPath}: ${bytesWritten} of ${size} bytes`);
  return size;
}

/*
 * PostgreSQL text cannot hold NUL, nor UTF-8 a lone surrogate: both are shown as U+FFFD (readableText), like
 * invalid bytes. A line holds no newline (the .log file and the stored chunks have one line per record): a local
 * job's output is split on them, but lines that come whole (a cloud job's log entries, the server's own SYSTEM
 * messages) may hold some, and carriage returns, and be of any length: see oneLine.
 */

/** UTF-16 units certainly within the byte limit of a line (a unit is at most 3 bytes of UTF-8). */
const SURELY_SHORT = Math.floor(DEFAULT_MAX_LINE_BYTES / 3);
/** Room for the ` …[truncated N bytes]` marker after a capped line. */
const MARKER_ROOM = 64;
const splitText = (text: string) => {
  const splitter = new LineSplitter();
  return [...splitter.push(Buffer.from(text)), ...splitter.end()].map((line) => line.text);
};
/**
 * A line as a local job's output would give it: for each line in it what a terminal shows (a `\r` redraws: a
 * progress bar keeps its final state), capped at the line limit with the truncation marker; its lines joined by
 * a space. Lines from a job's files already are; this is for those that arrive whole.
 */
function oneLine(text: string): string {
  const breaks = text.includes('\n') || text.includes('\r');
  // A line from a job's files is at most the limit plus the truncation marker: left as it is.
  if (!breaks && (text.length <= SURELY_SHORT || Buffer.byteLength(text) <= DEFAULT_MAX_LINE_BYTES + MARKER_ROOM)) return text;
  const parts = splitText(text);
  // Joined, the lines are capped once more as one.
  return parts.length <= 1 ? (parts[0] ?? '') : splitText(parts.join(' '))[0];
}

interface IncomingLine {
  text: string;
}

/**
 * Lines waiting for their transaction, already in the form they are stored in: their chunks' bytes lie outside the
 * JavaScript heap. Held as records, they outlived the young generation's collections while the transaction before
 * theirs ran (on PostgreSQL, 10,000-line transactions): about 200 MB per million lines promoted to the old
 * generation, which only a full collection frees.
 */
interface PendingBatch {
  chunks: LogChunk[];
  /** The lines among them at an alert level (stored one row each as well). */
  alerts: LogRecord[];
  metrics: MetricRecord[];
  lines: number;
  /** Seq of the last line (0 when there are none). */
  lastSeq: number;
  stream: LogStreamName;
  resumeOffset: number | undefined;
}

const pendingBatch = (lines: readonly LogRecord[], metrics: MetricRecord[], stream: LogStreamName, resumeOffset: number | undefined): PendingBatch => ({
  chunks: encodeChunks(lines),
  alerts: alertLines(lines),
  metrics,
  lines: lines.length,
  lastSeq: lines.length ? lines[lines.length - 1].seq : 0,
  stream,
  resumeOffset,
});

/**
 * A database error that says the rows themselves are refused, which retrying cannot change: a data exception
 * (class 22), a constraint other than uniqueness (class 23; a unique violation is handled in insertLogBatch), a
 * program limit such as an index entry too large (class 54).
 */
function isRefusedData(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code) && code !== UNIQUE_VIOLATION;
}

/**
 * Numbers, classifies and parses a job's lines, publishes them at once to local subscribers,
 * and persists them in batches to the .log file and the database together with the byte offsets
 * they came from, so that a restarted server resumes exactly after the last persisted line.
 */
export class JobLogPipeline {
  readonly jobId: string;
  #seq: number;
  #persistedSeq: number;
  /** Unpersisted batches, kept whole: a batch is persisted together with the stream offset it ends at. */
  #pending: PendingBatch[] = [];
  #pendingLines = 0;
  /** Stream offsets matching what is persisted. */
  #offsets: { STDOUT: number; STDERR: number };
  #logOffset: number;
  #logFile: FileHandle | undefined;
  #flushing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #capacityWaiters: (() => void)[] = [];
  #closed = false;
  #failure: Error | undefined;
  /** Since when persisting has failed without a success in between (a database restart, a lost connection). */
  #failingSince: number | undefined;
  #retryDelayMs = RETRY_MIN_MS;
  readonly #maxPending: number;
  readonly #flushIntervalMs: number;

  constructor(private readonly options: LogPipelineOptions) {
    this.jobId = options.jobId;
    this.#seq = options.lastSeq;
    this.#persistedSeq = options.lastSeq;
    this.#offsets = { ...options.offsets };
    this.#logOffset = options.logOffset;
    // One batch being persisted and the next one filling: more only holds lines longer (and in memory).
    this.#maxPending = options.maxPendingLines ?? 2 * maxBatchLines(options.db);
    this.#flushIntervalMs = options.flushIntervalMs ?? 50;
  }

  get lastSeq(): number {
    return this.#seq;
  }

  get persistedSeq(): number {
    return this.#persistedSeq;
  }

  /** True once `close` has persisted everything: nothing more will be ingested. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Drops whatever a crashed server appended to the .log file after its last committed batch. A file shorter than
   * the committed position (a commit whose reply was lost, then a crash before the retry; or a deleted file) gets
   * the missing lines back from the database, whose chunks hold the same text.
   */
  async open(): Promise<void> {
    const { logPath } = this.options;
    let size = await stat(logPath).then(
      (s) => s.size,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return 0;
        throw error;
      },
    );
    if (size > this.#logOffset) {
      await truncate(logPath, this.#logOffset);
      size = this.#logOffset;
    }
    this.#logFile = await open(logPath, 'a+');
    if (size < this.#logOffset) await this.#restoreTail(this.#logFile, size);
  }

  async #restoreTail(file: FileHandle, size: number): Promise<void> {
    const { logPath, db } = this.options;
    // The last whole record in the file says where the database must take over.
    const end = await lastNewline(file, size);
    let fileSeq = 0;
    // No newline in the whole file: one record cut short (if it is no longer than one can be), so nothing of it counts.
    let ours = end === -1 ? size <= MAX_RECORD_BYTES : end !== RESTORE_GAVE_UP;
    if (ours && end !== -1) {
      const previous = await lastNewline(file, end);
      const head = Buffer.alloc(Math.min(16, end - previous - 1));
      if (previous !== RESTORE_GAVE_UP && head.length) await file.read(head, 0, head.length, previous + 1);
      const seqText = previous === RESTORE_GAVE_UP ? '' : (/^(\d+)\t/.exec(head.toString('latin1'))?.[1] ?? '');
      fileSeq = /^[1-9]\d*$/.test(seqText) ? Number(seqText) : Number.NaN;
      ours = Number.isSafeInteger(fileSeq);
    }
    if (!ours) {
      console.warn(`[logs] ${logPath} does not end with a record this server wrote; it is kept as it is (${size} bytes, ${this.#logOffset} committed)`);
      await this.#resetLogOffset(size);
      return;
    }
    if (end + 1 < size) {
      // A record cut short by the crash: dropped, and written again below.
      size = end + 1;
      await file.truncate(size);
    }
    for (let after = fileSeq; after < this.#persistedSeq; ) {
      const records = await readLogs(db, this.jobId, { afterSeq: after, beforeSeq: this.#persistedSeq + 1, limit: RESTORE_PAGE_LINES });
      if (!records.length) break;
      size += await appendWhole(file, logPath, encodeChunks(records).map((c) => c.bytes));
      after = records[records.length - 1].seq;
    }
    if (size !== this.#logOffset) {
      console.warn(`[logs] ${logPath} restored from the database to ${size} bytes, where ${this.#logOffset} were committed; going on from ${size}`);
      await this.#resetLogOffset(size);
    }
  }

  /**
   * Makes `size` the committed size of the .log file at once: were the old one kept until the next batch commits,
   * a crash in between would cut the file at the old size, inside or after lines that were never committed.
   */
  async #resetLogOffset(size: number): Promise<void> {
    await this.options.db.prisma.job.update({ where: { id: this.jobId }, data: { logOffset: BigInt(size) } });
    this.#logOffset = size;
  }

  /**
   * Adds lines read from one stream; `resumeOffset` is where that stream continues after them. With
   * `lineEnds` (the offset after each line) a large read is persisted in several transactions, each with
   * its exact resume point, so that no transaction holds the database (PGlite: this thread) for long.
   */
  ingest(stream: LogStreamName, lines: readonly IncomingLine[], resumeOffset?: number, lineEnds?: readonly number[]): void {
    if (this.#closed) throw new Error(`log pipeline of job ${this.jobId} is closed`);
    if (lines.length === 0) {
      if (stream !== 'SYSTEM' && resumeOffset !== undefined) this.#pending.push(pendingBatch([], [], stream, resumeOffset));
      return;
    }
    const time = new Date();
    const records: LogRecord[] = new Array(lines.length);
    const metrics: MetricRecord[] = [];
    const levelStream = stream === 'SYSTEM' ? 'STDOUT' : stream;
    for (let i = 0; i < lines.length; i++) {
      const text = oneLine(readableText(lines[i].text));
      const seq = ++this.#seq;
      records[i] = { seq, stream, level: classifyLevel(text, levelStream), text, time };
      const parsed = parseMetrics(text);
      if (parsed) {
        const step = parsed.step ?? null;
        const epoch = parsed.epoch ?? null;
        for (const [name, value] of Object.entries(parsed.values)) metrics.push({ seq, name, step, epoch, value, time });
      }
    }
    // With the offset after each line, each piece is persisted with its exact resume point; without, the lines
    // are persisted together (a resume point inside them is unknown), and only published in pieces.
    const exactPieces = lineEnds !== undefined && lineEnds.length === records.length;
    if (!exactPieces) this.#pending.push(pendingBatch(records, metrics, stream, resumeOffset));
    let m = 0;
    for (const [start, end, jsonBytes] of pieces(records)) {
      const pieceLines = start === 0 && end === records.length ? records : records.slice(start, end);
      const lastSeq = records[end - 1].seq;
      const firstMetric = m;
      while (m < metrics.length && metrics[m].seq <= lastSeq) m++;
      const pieceMetrics = firstMetric === 0 && m === metrics.length ? metrics : metrics.slice(firstMetric, m);
      if (exactPieces) this.#pending.push(pendingBatch(pieceLines, pieceMetrics, stream, end === records.length ? resumeOffset : lineEnds[end - 1]));
      const event: LogBatchEvent = { type: 'batch', jobId: this.jobId, fromSeq: records[start].seq - 1, toSeq: lastSeq, lines: pieceLines, metrics: pieceMetrics, jsonBytes };
      this.options.events.publish(logTopic(this.jobId), event, { shared: false });
    }
    this.#pendingLines += records.length;
    this.#scheduleFlush();
  }

  /**
   * The first `limit` lines not yet persisted with seq > afterSeq that `keep` accepts (readers merge them with the
   * database's). Only the chunks needed are decoded.
   */
  pendingLinesAfter(afterSeq: number, limit = Number.MAX_SAFE_INTEGER, keep?: (line: LogRecord) => boolean): LogRecord[] {
    const lines: LogRecord[] = [];
    for (const batch of this.#pending) {
      if (batch.lastSeq <= afterSeq) continue;
      for (const chunk of batch.chunks) {
        if (chunk.toSeq <= afterSeq) continue;
        for (const line of decodeChunk(chunk.data, { afterSeq })) {
          if (keep && !keep(line)) continue;
          lines.push(line);
          if (lines.length >= limit) return lines;
        }
      }
    }
    return lines;
  }

  /** Metric points not yet persisted with seq > afterSeq. */
  pendingMetricsAfter(afterSeq: number): MetricRecord[] {
    const metrics: MetricRecord[] = [];
    for (const batch of this.#pending) if (batch.lastSeq > afterSeq) for (const m of batch.metrics) if (m.seq > afterSeq) metrics.push(m);
    return metrics;
  }

  /** Resolves when the pipeline can take more lines: the reader of the job's files waits here. */
  waitForCapacity(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#pendingLines < this.#maxPending) return Promise.resolve();
    return new Promise((resolve) => this.#capacityWaiters.push(resolve));
  }

  /** Persists everything ingested so far. */
  async flush(): Promise<void> {
    for (let batch = 0; ; batch++) {
      // Between batches, requests waiting on the event loop get their turn (PGlite runs on this thread).
      if (batch > 0) await new Promise((resolve) => setImmediate(resolve));
      while (this.#flushing) await this.#flushing;
      if (this.#pending.length === 0) return;
      this.#flushing = this.#persist().finally(() => (this.#flushing = undefined));
      await this.#flushing;
    }
  }

  /** Final flush, then tells subscribers that the log is complete. */
  async close(options: { ended: boolean }): Promise<void> {
    clearTimeout(this.#timer);
    await this.flush();
    this.#closed = true;
    await this.#logFile?.close();
    this.#logFile = undefined;
    if (options.ended) this.options.events.publish(logTopic(this.jobId), { type: 'end', jobId: this.jobId, lastSeq: this.#seq });
  }

  #scheduleFlush(): void {
    if (this.#pendingLines >= 5_000 && this.#failingSince === undefined) {
      void this.flush().catch((error) => this.#onPersistError(error));
      return;
    }
    this.#timer ??= setTimeout(
      () => {
        this.#timer = undefined;
        void this.flush().catch((error) => this.#onPersistError(error));
      },
      this.#failingSince === undefined ? this.#flushIntervalMs : this.#retryDelayMs,
    );
  }

  /**
   * A failed batch stays pending and is retried with backoff; meanwhile the reader waits for capacity
   * (the job's output waits in its files). Only a failure that lasts is fatal.
   */
  #onPersistError(error: Error): void {
    this.#failingSince ??= Date.now();
    if (this.#closed || Date.now() - this.#failingSince > RETRY_FOR_MS) {
      this.#fail(error);
      return;
    }
    console.error(`[logs] persisting job ${this.jobId} failed, retrying in ${this.#retryDelayMs} ms: ${error.message}`);
    this.#scheduleFlush();
    this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, RETRY_MAX_MS);
  }

  #fail(error: Error): void {
    console.error(`[logs] persisting job ${this.jobId} failed:`, error);
    this.#failure = error;
    for (const waiter of this.#capacityWaiters.splice(0)) waiter();
  }

  async #persist(): Promise<void> {
    let take = 0;
    let lineCount = 0;
    const maxLines = maxBatchLines(this.options.db);
    while (take < this.#pending.length && (take === 0 || lineCount + this.#pending[take].lines <= maxLines)) {
      lineCount += this.#pending[take].lines;
      take++;
    }
    const batches = this.#pending.slice(0, take);
    const chunks = mergeChunks(batches.flatMap((b) => b.chunks));
    const metrics = batches.flatMap((b) => b.metrics);
    const offsets = { ...this.#offsets };
    for (const b of batches) if (b.stream !== 'SYSTEM' && b.resumeOffset !== undefined) offsets[b.stream] = b.resumeOffset;
    const lastLineSeq = batches.reduce((last, b) => Math.max(last, b.lastSeq), this.#persistedSeq);
    // The database's chunks hold exactly the .log file's text of the same lines.
    const logOffset = this.#logOffset + chunks.reduce((total, c) => total + c.bytes.length, 0);
    const position = { lastSeq: lastLineSeq, logOffset, offsets };
    const alerts = batches.flatMap((b) => b.alerts);
    try {
      if (this.#logFile && chunks.length) await appendWhole(this.#logFile, this.options.logPath, chunks.map((c) => c.bytes));
      try {
        await insertLogBatch(this.options.db, this.jobId, { chunks, alerts, metrics }, position);
      } catch (error) {
        // Lines come first: points the database refuses (a value or name it cannot take) must not cost the job its
        // log, as a retry of the same batch would fail the same way until the job failed.
        if (!metrics.length || !isRefusedData(error)) throw error;
        await insertLogBatch(this.options.db, this.jobId, { chunks, alerts, metrics: [] }, position);
        console.warn(`[logs] job ${this.jobId}: the database refused the ${metrics.length} metric points of lines up to ${lastLineSeq} (${(error as Error).message}); the lines are stored without them`);
      }
    } catch (error) {
      // The batch stays pending and is written again by the next flush: the file must not keep it (or part of it) twice.
      await this.#logFile?.truncate(this.#logOffset).catch(() => {});
      throw error;
    }
    this.#logOffset = logOffset;
    this.#offsets = offsets;
    this.#failingSince = undefined;
    this.#retryDelayMs = RETRY_MIN_MS;
    this.#pending.splice(0, take);
    this.#pendingLines -= lineCount;
    const fromSeq = this.#persistedSeq;
    this.#persistedSeq = lastLineSeq;
    // Other replicas' subscribers only hear this; they read the lines from the database.
    if (lastLineSeq > fromSeq) this.options.events.publish(logTopic(this.jobId), { type: 'persisted', jobId: this.jobId, fromSeq, toSeq: lastLineSeq }, { local: false });
    if (this.#pendingLines < this.#maxPending) for (const waiter of this.#capacityWaiters.splice(0)) waiter();
    if (this.#pending.length) this.#scheduleFlush();
  }
}
