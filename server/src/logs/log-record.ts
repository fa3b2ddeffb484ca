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
}

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
