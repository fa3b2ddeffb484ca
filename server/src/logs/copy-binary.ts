import { UUID_PATTERN } from '../jobs/job-paths.ts';
import type { LogChunk } from './log-chunk.ts';
import type { MetricRecord } from './log-record.ts';

/**
 * Rows in PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"):
 * a signature and two 32-bit header fields, then per row a 16-bit field count and per field a 32-bit length (-1 for
 * NULL) and the value in the type's binary form, then a 16-bit -1.
 *
 * Why: the embedded database (PostgreSQL compiled to WebAssembly, on the server's own thread) takes a batch of log
 * chunks and metric points through `COPY ... FROM '/dev/blob'` about a third cheaper than as an INSERT of unnested
 * array parameters, most of it in the metric points, whose array literals it no longer parses. And a chunk's bytes go
 * in as they are: as a query parameter, each chunk was first decoded to a JavaScript string, which PGlite then
 * encoded again (about 100 MB of short-lived strings per million lines, much of it surviving into the old
 * generation while the transaction ran). On PostgreSQL (`COPY ... FROM STDIN`, pg-copy-streams) the rows go out
 * as one message the size of the batch, where the driver's message buffer for the parameters grew to it by steps
 * (the batch in several messages would be cheaper still, but pg-copy-streams 7 then throws from a socket event
 * when the server refuses the COPY before all are sent: brianc/node-pg-copy-streams#171).
 */

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Signature, flags (no OIDs) and header extension length (none). */
const HEADER_BYTES = SIGNATURE.length + 4 + 4;
const TRAILER_BYTES = 2;
/** PostgreSQL's timestamps count microseconds from 2000-01-01 00:00 UTC. */
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);

/** A UUID's 16 bytes (its binary form), from its text. */
export function uuidBytes(uuid: string): Buffer {
  if (!UUID_PATTERN.test(uuid)) throw new RangeError(`not a UUID: ${JSON.stringify(uuid)}`);
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

const int32 = (value: number, what: string) => {
  if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) throw new RangeError(`${what} must be a 32-bit integer, got ${value}`);
  return value;
};

/** Gives a buffer of at least `size` bytes for rows to be written into (by default, a new one of exactly that size). */
export type CopyAllocator = (size: number) => Buffer<ArrayBuffer>;
const exactBuffer: CopyAllocator = (size) => Buffer.allocUnsafeSlow(size);

class CopyWriter {
  readonly buffer: Buffer<ArrayBuffer>;
  readonly size: number;
  at = 0;
  constructor(bytes: number, alloc: CopyAllocator) {
    this.size = HEADER_BYTES + bytes + TRAILER_BYTES;
    this.buffer = alloc(this.size);
    if (this.buffer.length < this.size) throw new Error(`a COPY buffer of ${this.buffer.length} bytes was given for ${this.size}`);
    this.at += SIGNATURE.copy(this.buffer, 0);
    this.at = this.buffer.writeInt32BE(0, this.at);
    this.at = this.buffer.writeInt32BE(0, this.at);
  }
  row(fields: number) {
    this.at = this.buffer.writeInt16BE(fields, this.at);
  }
  bytes(value: Uint8Array) {
    this.at = this.buffer.writeInt32BE(value.length, this.at);
    this.buffer.set(value, this.at);
    this.at += value.length;
  }
  int4(value: number) {
    this.at = this.buffer.writeInt32BE(4, this.at);
    this.at = this.buffer.writeInt32BE(value, this.at);
  }
  float8(value: number | null) {
    if (value === null) {
      this.at = this.buffer.writeInt32BE(-1, this.at);
      return;
    }
    this.at = this.buffer.writeInt32BE(8, this.at);
    this.at = this.buffer.writeDoubleBE(value, this.at);
  }
  /** A `timestamp` (without time zone) holding the UTC time, as the other writers store these columns. */
  timestamp(time: Date) {
    const ms = time.getTime();
    if (!Number.isFinite(ms)) throw new RangeError('a metric point has an invalid time');
    this.at = this.buffer.writeInt32BE(8, this.at);
    this.at = this.buffer.writeBigInt64BE(BigInt(ms - POSTGRES_EPOCH_MS) * 1000n, this.at);
  }
  end(): Buffer<ArrayBuffer> {
    this.at = this.buffer.writeInt16BE(-1, this.at);
    if (this.at !== this.size) throw new Error(`binary COPY encoding wrote ${this.at} of ${this.size} bytes`);
    return this.buffer.length === this.size ? this.buffer : this.buffer.subarray(0, this.size);
  }
}

/** Columns of {@link copyChunkRows}, in order. */
export const CHUNK_COPY_COLUMNS = '"jobId","fromSeq","toSeq","lines","levels","data"';

/** `LogChunk` rows of one job: uuid, four int4 and the chunk's UTF-8 bytes as the text. */
export function copyChunkRows(jobId: string, chunks: readonly LogChunk[], alloc: CopyAllocator = exactBuffer): Buffer<ArrayBuffer> {
  const job = uuidBytes(jobId);
  let bytes = 0;
  for (const c of chunks) bytes += 2 + (4 + 16) + 4 * (4 + 4) + 4 + c.bytes.length;
  const out = new CopyWriter(bytes, alloc);
  for (const c of chunks) {
    out.row(6);
    out.bytes(job);
    out.int4(int32(c.fromSeq, 'a chunk seq'));
    out.int4(int32(c.toSeq, 'a chunk seq'));
    out.int4(c.lines);
    out.int4(c.levels);
    out.bytes(c.bytes);
  }
  return out.end();
}

/** Columns of {@link copyMetricRows}, in order. */
export const METRIC_COPY_COLUMNS = '"jobId","seq","name","step","epoch","value","time"';

/** `MetricPoint` rows of one job: uuid, int4 seq, text name, float8 step, epoch (NULL when absent) and value, timestamp. */
export function copyMetricRows(
  jobId: string,
  metrics: readonly MetricRecord[],
  nameBytes: (name: string) => Uint8Array = (name) => Buffer.from(name),
  alloc: CopyAllocator = exactBuffer,
): Buffer<ArrayBuffer> {
  const job = uuidBytes(jobId);
  const names = metrics.map((m) => nameBytes(m.name));
  let bytes = 0;
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i];
    bytes += 2 + (4 + 16) + (4 + 4) + (4 + names[i].length) + (m.step === null ? 4 : 12) + (m.epoch === null ? 4 : 12) + 12 + 12;
  }
  const out = new CopyWriter(bytes, alloc);
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i];
    out.row(7);
    out.bytes(job);
    out.int4(int32(m.seq, 'a metric point seq'));
    out.bytes(names[i]);
    out.float8(m.step);
    out.float8(m.epoch);
    out.float8(m.value);
    out.timestamp(m.time);
  }
  return out.end();
}
