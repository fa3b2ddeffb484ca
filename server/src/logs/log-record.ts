import type { LogLevel } from './classify-level.ts';

export type LogStreamName = 'STDOUT' | 'STDERR' | 'SYSTEM';

export interface LogRecord {
  seq: number;
  stream: LogStreamName;
  level: LogLevel;
  text: string;
  time: Date;
}

export interface MetricRecord {
  seq: number;
  name: string;
  step: number | null;
  epoch: number | null;
  value: number;
  time: Date;
}

/**
 * What the pipeline publishes: all lines with `fromSeq < seq <= toSeq`, and the metrics parsed from them.
 * Because a batch states the whole range it covers, a subscriber can tell a gap from a range without lines.
 */
export interface LogBatchEvent {
  type: 'batch';
  jobId: string;
  fromSeq: number;
  toSeq: number;
  lines: LogRecord[];
  metrics: MetricRecord[];
  /** About the size of its lines as a subscriber's JSON ({@link estimatedJsonBytes}): bounds merged chunks. */
  jsonBytes?: number;
}

/**
 * What a subscriber's message may hold, as JSON, about: a live batch is published in pieces of at most this
 * size, and a subscriber that is behind gets merged batches up to it. A string over V8's large-object size
 * (128 KB) goes straight to the old generation, which only a full collection frees: under a flood, the
 * messages' JSON was most of the server's memory growth.
 */
export const MAX_MESSAGE_JSON_BYTES = 96 * 1024;
/** And at most this many items (live pieces, history pages). */
export const MAX_MESSAGE_LINES = 500;
/** A line's JSON besides its text: `{"seq":…,"stream":"STDOUT","level":"WARNING","text":"…","time":"…"}`. */
const LINE_JSON_OVERHEAD = 96;
export const estimatedJsonBytes = (record: LogRecord) => record.text.length + LINE_JSON_OVERHEAD;

/** Published once every line of a finished job is persisted. */
export interface LogEndEvent {
  type: 'end';
  jobId: string;
  lastSeq: number;
}

/** Published (across replicas) after a batch is persisted: remote subscribers read it from the database. */
export interface LogPersistedEvent {
  type: 'persisted';
  jobId: string;
  fromSeq: number;
  toSeq: number;
}

export type LogEvent = LogBatchEvent | LogEndEvent | LogPersistedEvent;

export const logTopic = (jobId: string) => `logs:${jobId}`;
