import type { LogLevel } from './classify-level.ts';
import type { LogRecord, LogStreamName } from './log-record.ts';
import { isoString } from '../iso-time.ts';

/**
 * Lines are stored many per database row: a chunk holds consecutive lines in the .log file's form, one per
 * line (`seq\ttime\tstream\tlevel\ttext\n`), so that persisting a line costs a share of one row rather than a
 * row with its index entries, and the database holds exactly the text of the .log file.
 */
export interface LogChunk {
  fromSeq: number;
  toSeq: number;
  lines: number;
  /** A bit per level present ({@link LEVEL_BITS}): a level filter skips chunks without those levels. */
  levels: number;
  /** The chunk's text (decoded from `bytes` when first read: only the embedded database takes it as a string). */
  readonly data: string;
  /** The lines as UTF-8: written to the .log file and sent to PostgreSQL as they are. */
  bytes: Buffer;
}

/** Lines per chunk: a page of a few hundred lines decodes one or two chunks. */
export const CHUNK_LINES = 1_000;
/**
 * Bytes per chunk, unless one line is longer. It keeps a chunk's buffer, and its text where the embedded database
 * takes it as a string, under V8's large-object size (128 KB): a larger string goes straight to the old generation,
 * where only a full collection frees it.
 */
export const CHUNK_MAX_BYTES = 56 * 1024;

export const LEVEL_BITS: Readonly<Record<LogLevel, number>> = Object.freeze({ DEBUG: 1, INFO: 2, WARNING: 4, ERROR: 8 });

export const levelMask = (levels: readonly LogLevel[]) => levels.reduce((mask, level) => mask | LEVEL_BITS[level], 0);

/** Levels whose lines are also stored one row each (LogAlertLine), so that filtering on them reads an index. */
export const ALERT_LEVELS: ReadonlySet<LogLevel> = new Set(['WARNING', 'ERROR']);

export const alertLines = (records: readonly LogRecord[]) => records.filter((r) => ALERT_LEVELS.has(r.level));

const STREAMS = new Set<string>(['STDOUT', 'STDERR', 'SYSTEM']);
const LEVELS = new Set<string>(['DEBUG', 'INFO', 'WARNING', 'ERROR']);

/** `\t<stream>\t<level>\t` as bytes, for every stream and level. */
const STREAM_LEVEL_FIELDS: Readonly<Record<string, Readonly<Record<string, Buffer>>>> = Object.fromEntries(
  [...STREAMS].map((stream) => [stream, Object.fromEntries([...LEVELS].map((level) => [level, Buffer.from(`\t${stream}\t${level}\t`)]))]),
);
const TAB = 0x09;
const NEWLINE = 0x0a;
const DIGIT_ZERO = 0x30;

const decimalDigits = (value: number) => {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  return digits;
};

class EncodedChunk implements LogChunk {
  #data: string | undefined;
  constructor(
    readonly fromSeq: number,
    readonly toSeq: number,
    readonly lines: number,
    readonly levels: number,
    readonly bytes: Buffer,
  ) {}

  get data(): string {
    return (this.#data ??= this.bytes.toString('utf8'));
  }
}

/**
 * Encodes records (in seq order) as chunks of at most {@link CHUNK_LINES} lines and {@link CHUNK_MAX_BYTES} bytes
 * (a longer line gets a chunk of its own), each line in the .log file's form (times as ISO strings, computed once
 * per distinct time). The text holds no newline: output is split on them, and the pipeline makes one line of any
 * line that arrives whole.
 *
 * Each chunk is written straight into a buffer of its exact size: built as a string (a concatenation of a few
 * pieces per line, flattened when encoded), a chunk cost about three times its size in short-lived strings.
 */
export function encodeChunks(records: readonly LogRecord[]): LogChunk[] {
  const chunks: LogChunk[] = [];
  const seqDigits: number[] = new Array(records.length);
  const textBytes: number[] = new Array(records.length);
  let start = 0;
  let size = 0;
  let levels = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (!Number.isSafeInteger(r.seq) || r.seq < 0) throw new RangeError(`a log line's seq must be a non-negative integer, got ${r.seq}`);
    const field = STREAM_LEVEL_FIELDS[r.stream]?.[r.level];
    if (!field) throw new RangeError(`unknown stream or level: ${r.stream} ${r.level}`);
    seqDigits[i] = decimalDigits(r.seq);
    textBytes[i] = Buffer.byteLength(r.text);
    const lineBytes = seqDigits[i] + 1 + isoString(r.time).length + field.length + textBytes[i] + 1;
    if (i > start && (i - start === CHUNK_LINES || size + lineBytes > CHUNK_MAX_BYTES)) {
      chunks.push(writeChunk(records, start, i, size, levels, seqDigits, textBytes));
      start = i;
      size = 0;
      levels = 0;
    }
    size += lineBytes;
    levels |= LEVEL_BITS[r.level];
  }
  if (start < records.length) chunks.push(writeChunk(records, start, records.length, size, levels, seqDigits, textBytes));
  return chunks;
}

/** Writes records [start, end) into one buffer of `size` bytes, as {@link encodeChunks} measured them. */
function writeChunk(records: readonly LogRecord[], start: number, end: number, size: number, levels: number, seqDigits: readonly number[], textBytes: readonly number[]): LogChunk {
  const bytes = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (let i = start; i < end; i++) {
    const r = records[i];
    const digits = seqDigits[i];
    for (let d = digits - 1, rest = r.seq; d >= 0; d--, rest = Math.floor(rest / 10)) bytes[at + d] = DIGIT_ZERO + (rest % 10);
    at += digits;
    bytes[at++] = TAB;
    // An ISO time is ASCII: one byte a character.
    at += bytes.write(isoString(r.time), at, 'latin1');
    const field = STREAM_LEVEL_FIELDS[r.stream][r.level];
    bytes.set(field, at);
    at += field.length;
    at += bytes.write(r.text, at, textBytes[i], 'utf8');
    bytes[at++] = NEWLINE;
  }
  if (at !== size) throw new Error(`log chunk encoding wrote ${at} of ${size} bytes`);
  return new EncodedChunk(records[start].seq, records[end - 1].seq, end - start, levels, bytes);
}

/**
 * Joins consecutive chunks (in seq order) whose lines and bytes fit one chunk, as {@link encodeChunks} would have
 * made them: a job that prints slowly gets a chunk per read, and a transaction stores them as a few.
 */
export function mergeChunks(chunks: readonly LogChunk[]): LogChunk[] {
  const out: LogChunk[] = [];
  for (let start = 0; start < chunks.length; ) {
    let end = start + 1;
    let lines = chunks[start].lines;
    let bytes = chunks[start].bytes.length;
    while (end < chunks.length && lines + chunks[end].lines <= CHUNK_LINES && bytes + chunks[end].bytes.length <= CHUNK_MAX_BYTES) {
      lines += chunks[end].lines;
      bytes += chunks[end].bytes.length;
      end++;
    }
    if (end === start + 1) out.push(chunks[start]);
    else {
      const run = chunks.slice(start, end);
      const joined = Buffer.allocUnsafeSlow(bytes);
      let at = 0;
      for (const c of run) at += c.bytes.copy(joined, at);
      out.push(new EncodedChunk(run[0].fromSeq, run[run.length - 1].toSeq, lines, run.reduce((mask, c) => mask | c.levels, 0), joined));
    }
    start = end;
  }
  return out;
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * Lower case the way PostgreSQL's `lower()` (and so `ILIKE`) does it: one code point at a time, each to one code
 * point. JavaScript's `toLowerCase()` applies Unicode's full mappings instead (`İ` → `i̇`, a final `Σ` → `ς`), under
 * which a line that `ILIKE` matched could fail the exact filter here and be dropped.
 */
export function foldCase(text: string): string {
  if (ASCII.test(text)) return text.toLowerCase();
  let out = '';
  for (const ch of text) {
    const lower = ch.toLowerCase();
    out += lower.length === ch.length ? lower : String.fromCodePoint(lower.codePointAt(0)!);
  }
  return out;
}

export interface ChunkFilter {
  afterSeq?: number;
  beforeSeq?: number;
  /** Only these levels (all when absent or empty). */
  levels?: readonly LogLevel[];
  /** Case-insensitive substring of the text, already passed through {@link foldCase}. */
  searchLower?: string;
}

/**
 * The records of a chunk that pass the filter, in seq order. A line that does not parse, or does not carry a
 * higher seq than the one before it (neither of which the pipeline writes), is skipped rather than failing the
 * whole read.
 */
export function decodeChunk(data: string, filter: ChunkFilter = {}): LogRecord[] {
  const out: LogRecord[] = [];
  const after = filter.afterSeq ?? 0;
  const before = filter.beforeSeq ?? Infinity;
  const levels = filter.levels?.length ? new Set<string>(filter.levels) : undefined;
  const search = filter.searchLower || undefined;
  let lastIso = '';
  let lastTime = new Date(0);
  let lastSeq = -Infinity;
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf('\n', start);
    if (end === -1) end = data.length;
    const t1 = data.indexOf('\t', start);
    const t2 = t1 === -1 || t1 > end ? -1 : data.indexOf('\t', t1 + 1);
    const t3 = t2 === -1 || t2 > end ? -1 : data.indexOf('\t', t2 + 1);
    const t4 = t3 === -1 || t3 > end ? -1 : data.indexOf('\t', t3 + 1);
    const lineStart = start;
    start = end + 1;
    if (t4 === -1 || t4 > end) continue;
    const seq = Number(data.slice(lineStart, t1));
    if (!(seq > lastSeq)) continue;
    lastSeq = seq;
    if (!(seq > after && seq < before)) continue;
    const stream = data.slice(t2 + 1, t3);
    const level = data.slice(t3 + 1, t4);
    if (!STREAMS.has(stream) || !LEVELS.has(level)) continue;
    if (levels && !levels.has(level)) continue;
    const text = data.slice(t4 + 1, end);
    if (search && !foldCase(text).includes(search)) continue;
    const iso = data.slice(t1 + 1, t2);
    if (iso !== lastIso) {
      lastIso = iso;
      lastTime = new Date(iso);
    }
    out.push({ seq, stream: stream as LogStreamName, level: level as LogLevel, text, time: lastTime });
  }
  return out;
}
