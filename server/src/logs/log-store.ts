import { finished } from 'node:stream/promises';
import type pg from 'pg';
import pgCopy from 'pg-copy-streams';
import type { Database } from '../db/database.ts';
import { LruMap } from '../lru-map.ts';
import { isoString } from '../iso-time.ts';
import type { LogLevel } from './classify-level.ts';
import { CHUNK_COPY_COLUMNS, copyChunkRows, copyMetricRows, METRIC_COPY_COLUMNS, type CopyAllocator } from './copy-binary.ts';
import { ALERT_LEVELS, CHUNK_LINES, decodeChunk, encodeChunks, foldCase, levelMask, type LogChunk } from './log-chunk.ts';
import type { LogRecord, MetricRecord } from './log-record.ts';
import { blockDeltas, RECOMPUTE_BLOCKS, seriesFromBlocks, touchedBlocks, UPSERT_BLOCK_DELTAS, type StoredBlock } from './metric-blocks.ts';

export interface BatchPosition {
  lastSeq: number;
  logOffset: number;
  offsets?: { STDOUT: number; STDERR: number };
}

/**
 * One row per chunk, each value its own parameter. Only for a stand-in database (the test's): on PostgreSQL and
 * PGlite, chunks and metric points go in by binary COPY (see {@link insertLogBatch}).
 */
function insertChunks(chunks: readonly LogChunk[]): [string, unknown[]] {
  const params: unknown[] = [];
  const rows = chunks.map((c) => {
    const at = params.push(c.fromSeq, c.toSeq, c.lines, c.levels, c.data) - 5;
    return `($1::uuid, $${at + 2}::int, $${at + 3}::int, $${at + 4}::int, $${at + 5}::int, $${at + 6}::text)`;
  });
  return [`INSERT INTO "LogChunk" ("jobId","fromSeq","toSeq","lines","levels","data") VALUES ${rows.join(', ')} ON CONFLICT DO NOTHING`, params];
}

const INSERT_ALERT_LINES = `INSERT INTO "LogAlertLine" ("jobId","seq","stream","level","text","time")
  SELECT $1::uuid, u.seq, u.stream::"LogStream", u.level::"LogLevel", u.text, u.time AT TIME ZONE 'UTC'
  FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS u(seq, stream, level, text, time)
  ON CONFLICT DO NOTHING`;

const INSERT_METRICS = `INSERT INTO "MetricPoint" ("jobId","seq","name","step","epoch","value","time")
  SELECT $1::uuid, u.seq, u.name, u.step, u.epoch, u.value, u.time AT TIME ZONE 'UTC'
  FROM unnest($2::int[], $3::text[], $4::float8[], $5::float8[], $6::float8[], $7::timestamptz[]) AS u(seq, name, step, epoch, value, time)
  ON CONFLICT DO NOTHING`;

const UPDATE_POSITION = `UPDATE "Job" SET "lastSeq" = $2, "logOffset" = $3,
  "stdoutOffset" = coalesce($4, "stdoutOffset"), "stderrOffset" = coalesce($5, "stderrOffset"), "updatedAt" = now()
  WHERE id = $1::uuid`;

/**
 * PostgreSQL array literals, written here in one pass: given JavaScript arrays, the pg driver converts and quotes
 * each element through its generic path, which was a tenth of the server's CPU under a log flood (two hundred
 * thousand metric points per million lines, six arrays each).
 */
const numberArray = (values: readonly (number | null)[]) => `{${values.map((v) => (v === null ? 'NULL' : String(v))).join(',')}}`;
const QUOTED = /["\\]/g;
const textArray = (values: readonly string[]) => `{${values.map((v) => `"${v.replace(QUOTED, '\\$&')}"`).join(',')}}`;
/** ISO times (no character of them needs quoting). */
const timeArray = (times: readonly Date[]) => `{${times.map(isoString).join(',')}}`;

/**
 * The statements of one batch as SQL and parameters (array parameters: one statement per table, whatever
 * the batch size). Times travel as ISO strings and are stored as UTC whatever the session's time zone,
 * as Prisma reads these `timestamp` columns.
 */
function batchStatements(jobId: string, rows: LogBatchRows, position: BatchPosition, blocks: BlockUpdate): [string, unknown[]][] {
  const { chunks, alerts, metrics } = rows;
  const statements: [string, unknown[]][] = [];
  if (chunks.length) {
    const [sql, params] = insertChunks(chunks);
    statements.push([sql, [jobId, ...params]]);
  }
  if (alerts.length) {
    statements.push([
      INSERT_ALERT_LINES,
      [jobId, numberArray(alerts.map((l) => l.seq)), textArray(alerts.map((l) => l.stream)), textArray(alerts.map((l) => l.level)), textArray(alerts.map((l) => l.text)), timeArray(alerts.map((l) => l.time))],
    ]);
  }
  if (metrics.length) {
    statements.push([
      INSERT_METRICS,
      [
        jobId,
        numberArray(metrics.map((m) => m.seq)),
        textArray(metrics.map((m) => m.name)),
        numberArray(metrics.map((m) => m.step)),
        numberArray(metrics.map((m) => m.epoch)),
        numberArray(metrics.map((m) => m.value)),
        timeArray(metrics.map((m) => m.time)),
      ],
    ]);
  }
  if (blocks.metrics.length) statements.push(blockStatement(jobId, blocks));
  statements.push([UPDATE_POSITION, [jobId, position.lastSeq, String(position.logOffset), position.offsets ? String(position.offsets.STDOUT) : null, position.offsets ? String(position.offsets.STDERR) : null]]);
  return statements;
}

/**
 * How the metric blocks (see metric-blocks.ts) follow the points the transaction stores: `deltas` when every one of
 * `metrics` is new (COPY), `recompute` after statements that skip points that exist.
 */
interface BlockUpdate {
  metrics: readonly MetricRecord[];
  how: 'deltas' | 'recompute';
}

function blockStatement(jobId: string, { metrics, how }: BlockUpdate): [string, unknown[]] {
  if (how === 'recompute') {
    const [names, blocks] = touchedBlocks(metrics);
    return [RECOMPUTE_BLOCKS, [jobId, textArray(names), numberArray(blocks)]];
  }
  const deltas = blockDeltas(metrics);
  return [
    UPSERT_BLOCK_DELTAS,
    [
      jobId,
      textArray(deltas.map((d) => d.name)),
      numberArray(deltas.map((d) => d.block)),
      numberArray(deltas.map((d) => d.count)),
      numberArray(deltas.flatMap((d) => d.first)),
      numberArray(deltas.flatMap((d) => d.last)),
      numberArray(deltas.flatMap((d) => d.lo)),
      numberArray(deltas.flatMap((d) => d.hi)),
    ],
  ];
}

/** What one transaction stores: the lines as chunks, their WARNING and ERROR lines again as rows, their metric points. */
export interface LogBatchRows {
  chunks: readonly LogChunk[];
  /** The batch's lines at an {@link ALERT_LEVELS} level (see `alertLines`). */
  alerts: readonly LogRecord[];
  metrics: readonly MetricRecord[];
}

const jobGone = (jobId: string) => new Error(`job ${jobId} no longer exists: its lines and metrics were not stored`);

/**
 * Persists one batch of lines (as chunks, see log-chunk.ts, and alert lines) and metrics and the job's resume
 * position in one transaction. The job's row is locked and its stored position read first: only the part of the
 * batch after it is written ({@link notStoredPart}), so that a batch retried after a lost reply, or written twice by
 * two writers of one job (a replica that lost its claim and the one that took it), is stored once.
 *
 * The statements go straight to the driver (pg pool or PGlite) when there is one: through Prisma, the
 * array parameters of a large batch cost about twice the time, on the event loop every request shares.
 */
export async function insertLogBatch(db: Database, jobId: string, rows: LogBatchRows, position: BatchPosition): Promise<void> {
  try {
    await writeBatch(db, jobId, rows, position, 'copy');
  } catch (error) {
    if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
    // A row after the stored position exists already, which COPY cannot skip: left by an older server (whose two
    // writers of one job could move the position back), or two metric names that are one in UTF-8 (lone
    // surrogates both become U+FFFD). The batch is written again by statements that skip such rows.
    console.warn(`[logs] job ${jobId}: some rows of the batch up to seq ${position.lastSeq} exist already; writing it without them`);
    await writeBatch(db, jobId, rows, position, 'insert');
  }
}

/** PostgreSQL's SQLSTATE for a row whose key exists. */
export const UNIQUE_VIOLATION = '23505';

/**
 * One transaction's statements, as each database runs them: `rows` and `count` (rows a statement affected) of a
 * query, and a binary COPY into `target` (a table and its columns) of the rows `encode` writes, given a buffer.
 */
interface BatchSession {
  query<T>(sql: string, params: unknown[]): Promise<{ rows: T[]; count: number | null | undefined }>;
  copy(target: string, encode: (alloc?: CopyAllocator) => Buffer<ArrayBuffer>): Promise<void>;
}

async function writeBatch(db: Database, jobId: string, rows: LogBatchRows, position: BatchPosition, mode: 'copy' | 'insert'): Promise<void> {
  if (db.pglite && !db.pool) {
    const pglite = db.pglite;
    await pglite.transaction((tx) =>
      writeRows(
        {
          query: async <T>(sql: string, params: unknown[]) => {
            const result = await tx.query<T>(sql, params);
            return { rows: result.rows, count: result.affectedRows };
          },
          copy: async (target, encode) => {
            await tx.query(`COPY ${target} FROM '/dev/blob' WITH (FORMAT binary)`, [], { blob: blobOf(encode()) });
          },
        },
        jobId,
        rows,
        position,
        mode,
      ),
    );
    return;
  }
  if (db.pool) {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await writeRows(
        {
          query: async <T>(sql: string, params: unknown[]) => {
            const result = await client.query(sql, params);
            return { rows: result.rows as T[], count: result.rowCount };
          },
          copy: (target, encode) => copyInto(client, `COPY ${target} FROM STDIN WITH (FORMAT binary)`, encode(COPY_BUFFERS.take)),
        },
        jobId,
        rows,
        position,
        mode,
      );
      await client.query('COMMIT');
      client.release();
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      // A client in an unknown state is not given back to the pool.
      client.release(true);
      throw error;
    }
    return;
  }
  // Only stand-ins for the database get here (a Database has a pool or PGlite).
  await db.prisma.$transaction(batchStatements(jobId, rows, position, { metrics: rows.metrics, how: 'recompute' }).map(([sql, params]) => db.prisma.$executeRawUnsafe(sql, ...params)));
}

/**
 * The statements of {@link insertLogBatch} inside its transaction. The job's row is locked and its stored position
 * read; what lies after it goes in: the chunks and metric points by binary COPY (see copy-binary.ts) or, in `insert`
 * mode, by the statements that skip rows that exist. The position update comes last: when it finds no job, the
 * transaction is rolled back, so that no line or point is kept for a job that is gone (MetricPoint has no foreign
 * key, see the schema).
 */
async function writeRows(session: BatchSession, jobId: string, rows: LogBatchRows, position: BatchPosition, mode: 'copy' | 'insert'): Promise<void> {
  const stored = await session.query<{ lastSeq: number }>(LOCK_POSITION, [jobId]);
  if (stored.rows.length !== 1) throw jobGone(jobId);
  const rest = notStoredPart(rows, position, stored.rows[0].lastSeq);
  if (!rest) return;
  if (mode === 'copy' && rest.chunks.length) await session.copy(CHUNK_COPY_TARGET, (alloc) => copyChunkRows(jobId, rest.chunks, alloc));
  if (mode === 'copy' && rest.metrics.length) await session.copy(METRIC_COPY_TARGET, (alloc) => copyMetricRows(jobId, rest.metrics, metricNameBytes, alloc));
  let updated: number | null | undefined;
  const blocks: BlockUpdate = { metrics: rest.metrics, how: mode === 'copy' ? 'deltas' : 'recompute' };
  for (const [sql, params] of batchStatements(jobId, mode === 'copy' ? { ...rest, chunks: [], metrics: [] } : rest, position, blocks)) updated = (await session.query(sql, params)).count;
  if (updated !== 1) throw jobGone(jobId);
}

const LOCK_POSITION = `SELECT "lastSeq" FROM "Job" WHERE id = $1::uuid FOR UPDATE`;
const CHUNK_COPY_TARGET = `"LogChunk" (${CHUNK_COPY_COLUMNS})`;
const METRIC_COPY_TARGET = `"MetricPoint" (${METRIC_COPY_COLUMNS})`;

/**
 * Sends rows in binary COPY format to PostgreSQL, as one CopyData message. As query parameters, a batch's chunks were
 * copied into the driver's message buffer, which grows by half again each time it is full: about four times the
 * batch in short-lived buffers outside the heap (560 MB per million lines), which only a collection frees. One
 * message, not one per chunk: see copy-binary.ts.
 */
async function copyInto(client: pg.PoolClient, sql: string, rows: Buffer<ArrayBuffer>): Promise<void> {
  const stream = client.query(pgCopy.from(sql));
  stream.end(rows);
  await finished(stream);
  // The server has taken every byte (it answered after the end of the data): the buffer can be written again. After
  // a failure it is not reused, in case the socket still holds it.
  COPY_BUFFERS.give(rows);
}

/**
 * Buffers for the rows of {@link copyInto}, used again from one batch to the next: a batch's rows are about a
 * megabyte, and a new buffer each time left that much outside the heap per batch until a collection came (and the
 * allocator's fragmentation after it), 30–45 MB of RSS under a log flood.
 */
const COPY_BUFFERS = (() => {
  const MAX_KEPT = 4;
  const MAX_KEPT_BYTES = 4 * 1024 * 1024;
  const MIN_BYTES = 256 * 1024;
  const free: Buffer<ArrayBuffer>[] = [];
  return {
    take: (size: number): Buffer<ArrayBuffer> => {
      const at = free.findIndex((b) => b.length >= size);
      if (at !== -1) return free.splice(at, 1)[0];
      return Buffer.allocUnsafeSlow(size > MAX_KEPT_BYTES ? size : Math.min(MAX_KEPT_BYTES, Math.max(MIN_BYTES, 2 ** Math.ceil(Math.log2(size)))));
    },
    give(rows: Buffer<ArrayBuffer>): void {
      const whole = Buffer.from(rows.buffer);
      if (whole.length <= MAX_KEPT_BYTES && free.length < MAX_KEPT && !free.some((b) => b.buffer === rows.buffer)) free.push(whole);
    },
  };
})();

const NAME_BYTES = new LruMap<string, Buffer>(1_000);
/** A metric name's UTF-8 (a job prints the same few names again and again). */
const metricNameBytes = (name: string) => {
  let bytes = NAME_BYTES.get(name);
  if (bytes === undefined) NAME_BYTES.set(name, (bytes = Buffer.from(name)));
  return bytes;
};

/**
 * What PGlite reads `/dev/blob` from. It only calls `arrayBuffer()` on the Blob it is given: a real Blob would copy the
 * rows twice more (into the Blob, then out of it), outside the JavaScript heap.
 */
const blobOf = (bytes: Buffer<ArrayBuffer>) => {
  const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return { arrayBuffer: async () => buffer } as unknown as Blob;
};

/**
 * What of a batch is not stored yet, given the job's stored position (everything up to it is stored and nothing
 * after it: the rows and the position are written in one transaction): all of it, except for a batch retried after
 * a commit whose outcome was unknown, or written by a second writer of the job. A chunk that straddles the position
 * is cut at it (chunks never overlap, so that counting lines needs no lookup). Null when the whole batch is
 * stored: then neither its rows nor its position are written again (a stale writer must not move the position
 * back). COPY cannot skip rows that exist: {@link insertLogBatch} falls back to statements that do if one does.
 */
function notStoredPart(rows: LogBatchRows, position: BatchPosition, storedSeq: number): LogBatchRows | null {
  const firstSeq = Math.min(rows.chunks[0]?.fromSeq ?? Infinity, rows.metrics[0]?.seq ?? Infinity, rows.alerts[0]?.seq ?? Infinity);
  // A batch without rows only moves the stream offsets on (a read that ended inside a line), at the same seq.
  if (position.lastSeq < storedSeq || (position.lastSeq === storedSeq && firstSeq !== Infinity)) return null;
  if (firstSeq > storedSeq) return rows;
  const chunks: LogChunk[] = [];
  for (const chunk of rows.chunks) {
    if (chunk.fromSeq > storedSeq) chunks.push(chunk);
    else if (chunk.toSeq > storedSeq) chunks.push(...encodeChunks(decodeChunk(chunk.data, { afterSeq: storedSeq })));
  }
  return { chunks, alerts: rows.alerts.filter((l) => l.seq > storedSeq), metrics: rows.metrics.filter((m) => m.seq > storedSeq) };
}

/** Rows of a read-only statement, through the driver when there is one (as insertLogBatch). */
async function queryRows<T>(db: Database, sql: string, params: unknown[]): Promise<T[]> {
  if (db.pool) return (await db.pool.query(sql, params)).rows as T[];
  if (db.pglite) return (await db.pglite.query<T>(sql, params)).rows;
  return db.prisma.$queryRawUnsafe<T[]>(sql, ...params);
}

export interface LogQuery {
  afterSeq?: number;
  beforeSeq?: number;
  levels?: LogLevel[];
  search?: string;
  limit: number;
  /** Newest first (for "the last N lines"); results are still returned in ascending seq order. */
  tail?: boolean;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** At most this many chunks per round trip (full ones are up to 56 KB each, unless one line is longer). */
const MAX_CHUNKS_PER_QUERY = 1_024;

/**
 * Reads persisted lines in seq order, filtered by range, level and case-insensitive text. The database
 * narrows the chunks (seq range, a level bit, the text anywhere in the chunk); the lines are then filtered
 * exactly here, a round trip at a time until `limit` lines are found.
 *
 * How many chunks a round trip takes: without a filter, exactly as many as hold the lines still wanted, counted
 * in the database (a job that prints slowly writes a small chunk per flush, a busy one full chunks), so that only
 * their text is read. With a filter, the lines in a chunk say nothing of how many match: enough chunks for the
 * limit if every line matched, twice as many each further round.
 */
export async function readLogs(db: Database, jobId: string, query: LogQuery): Promise<LogRecord[]> {
  const afterSeq = query.afterSeq ?? 0;
  const beforeSeq = query.beforeSeq ?? 2_147_483_647;
  if (query.limit <= 0 || beforeSeq <= afterSeq + 1) return [];
  const levels = query.levels?.length ? query.levels : undefined;
  const search = query.search || undefined;
  if (levels?.every((level) => ALERT_LEVELS.has(level))) return readAlertLines(db, jobId, { ...query, afterSeq, beforeSeq, levels });
  const params: unknown[] = [jobId];
  const where = ['"jobId" = $1::uuid'];
  if (levels) where.push(`("levels" & $${params.push(levelMask(levels))}) <> 0`);
  if (search) where.push(`"data" ILIKE $${params.push(`%${escapeLike(search)}%`)}`);
  const filter = { afterSeq, beforeSeq, levels, searchLower: search === undefined ? undefined : foldCase(search) };
  const filtered = levels !== undefined || search !== undefined;
  const order = query.tail ? 'DESC' : 'ASC';
  // Ascending: chunks ending after the cursor; tail: chunks starting before it. Then the round's bound.
  const range = query.tail ? `"fromSeq" < $${params.length + 1} AND "toSeq" > $${params.length + 2}` : `"toSeq" > $${params.length + 1} AND "fromSeq" < $${params.length + 2}`;
  const bound = `$${params.length + 3}`;
  const sql = filtered
    ? `SELECT "fromSeq", "toSeq", "data" FROM "LogChunk" WHERE ${[...where, range].join(' AND ')} ORDER BY "toSeq" ${order} LIMIT ${bound}`
    : `SELECT "fromSeq", "toSeq", "data" FROM (
        SELECT "fromSeq", "toSeq", "data", sum("lines") OVER (ORDER BY "toSeq" ${order}) - "lines" AS "linesBefore"
        FROM "LogChunk" WHERE ${[...where, range].join(' AND ')} ORDER BY "toSeq" ${order} LIMIT ${MAX_CHUNKS_PER_QUERY}
      ) AS c WHERE "linesBefore" < ${bound} ORDER BY "toSeq" ${order}`;
  let chunkBudget = Math.min(MAX_CHUNKS_PER_QUERY, Math.ceil(query.limit / CHUNK_LINES) + 2);
  const found: LogRecord[][] = [];
  let count = 0;
  let cursor = query.tail ? beforeSeq : afterSeq;
  for (;;) {
    const rows = await queryRows<{ fromSeq: number; toSeq: number; data: string }>(db, sql, [
      ...params,
      ...(query.tail ? [cursor, afterSeq] : [cursor, beforeSeq]),
      filtered ? chunkBudget : query.limit - count,
    ]);
    for (const row of rows) {
      // Chunks never overlap; the cursor also keeps a line from being returned twice if two ever did.
      const lines = decodeChunk(row.data, query.tail ? { ...filter, beforeSeq: Math.min(beforeSeq, cursor) } : { ...filter, afterSeq: Math.max(afterSeq, cursor) });
      cursor = query.tail ? Math.min(cursor, row.fromSeq) : Math.max(cursor, row.toSeq);
      if (!lines.length) continue;
      // The tail keeps a chunk's last lines, an ascending read its first.
      const taken = query.tail ? lines.slice(-(query.limit - count)) : lines.slice(0, query.limit - count);
      found.push(taken);
      count += taken.length;
      if (count >= query.limit) break;
    }
    // Unfiltered, the first chunk left always counts 0 lines before it, so fewer rows than asked means none is left.
    if (count >= query.limit || rows.length === 0 || (filtered && rows.length < chunkBudget)) break;
    chunkBudget = Math.min(MAX_CHUNKS_PER_QUERY, chunkBudget * 2);
  }
  if (query.tail) found.reverse();
  return found.flat();
}

/** {@link readLogs} for WARNING and ERROR only: through the alert lines' index, a page of rows whatever lies between. */
async function readAlertLines(db: Database, jobId: string, query: LogQuery & { afterSeq: number; beforeSeq: number; levels: LogLevel[] }): Promise<LogRecord[]> {
  const rows = await db.prisma.logAlertLine.findMany({
    where: {
      jobId,
      seq: { gt: query.afterSeq, lt: query.beforeSeq },
      level: { in: query.levels },
      ...(query.search && { text: { contains: escapeLike(query.search), mode: 'insensitive' as const } }),
    },
    orderBy: { seq: query.tail ? 'desc' : 'asc' },
    take: query.limit,
    select: { seq: true, stream: true, level: true, text: true, time: true },
  });
  return query.tail ? rows.reverse() : rows;
}

/** How many lines of a job are persisted. */
export async function countLogLines(db: Database, jobId: string): Promise<number> {
  const [row] = await queryRows<{ n: number | string | bigint | null }>(db, 'SELECT sum("lines") AS n FROM "LogChunk" WHERE "jobId" = $1::uuid', [jobId]);
  return Number(row?.n ?? 0);
}

export async function readMetricsAfter(db: Database, jobId: string, afterSeq: number, limit: number, names?: string[]): Promise<MetricRecord[]> {
  return db.prisma.metricPoint.findMany({
    where: { jobId, seq: { gt: afterSeq }, ...(names?.length && { name: { in: names } }) },
    orderBy: [{ seq: 'asc' }, { name: 'asc' }],
    take: limit,
    select: { seq: true, name: true, step: true, epoch: true, value: true, time: true },
  });
}

/** Metric points of the lines with fromSeq < seq ≤ toSeq, in seq order. */
export async function readMetricsBetween(db: Database, jobId: string, fromSeq: number, toSeq: number): Promise<MetricRecord[]> {
  return db.prisma.metricPoint.findMany({
    where: { jobId, seq: { gt: fromSeq, lte: toSeq } },
    orderBy: [{ seq: 'asc' }, { name: 'asc' }],
    select: { seq: true, name: true, step: true, epoch: true, value: true, time: true },
  });
}

/** The job's metric names with their number of points (from the metric blocks: a few rows per 256 lines). */
export async function metricNames(db: Database, jobId: string): Promise<{ name: string; count: number }[]> {
  const rows = await db.prisma.$queryRawUnsafe<{ name: string; count: bigint | number }[]>(
    `SELECT name, sum(count) AS count FROM "MetricBlock" WHERE "jobId" = $1::uuid GROUP BY name ORDER BY name`,
    jobId,
  );
  return rows.map((r) => ({ name: r.name, count: Number(r.count) }));
}

export interface MetricSeries {
  name: string;
  totalPoints: number;
  downsampled: boolean;
  points: MetricRecord[];
}

/**
 * A metric series of at most `maxPoints` points. Above that it is reduced with M4 buckets: per bucket the first,
 * last, lowest and highest points, which keeps a line chart's shape (spikes included) at any zoom. The buckets are
 * made of the metric's blocks (see metric-blocks.ts), so that a million points are a read of about four thousand
 * rows; a series with fewer blocks than buckets gets four points per block.
 */
export async function readMetricSeries(db: Database, jobId: string, name: string, maxPoints: number): Promise<MetricSeries> {
  const blocks = await db.prisma.$queryRawUnsafe<StoredBlock[]>(
    `SELECT block, count, first, last, lo, hi FROM "MetricBlock" WHERE "jobId" = $1::uuid AND name = $2 ORDER BY block`,
    jobId,
    name,
  );
  const totalPoints = blocks.reduce((total, b) => total + b.count, 0);
  if (totalPoints <= maxPoints) {
    const points = await db.prisma.metricPoint.findMany({
      where: { jobId, name },
      orderBy: { seq: 'asc' },
      select: { seq: true, name: true, step: true, epoch: true, value: true, time: true },
    });
    return { name, totalPoints, downsampled: false, points };
  }
  return { name, totalPoints, downsampled: true, points: seriesFromBlocks(name, blocks, Math.max(1, Math.floor(maxPoints / 4))) };
}
