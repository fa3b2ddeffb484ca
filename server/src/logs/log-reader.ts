import type { Services } from '../services.ts';
import type { LogLevel } from './classify-level.ts';
import type { LogRecord, MetricRecord } from './log-record.ts';
import type { SequenceSource } from './follow-sequence.ts';
import { readLogs, readMetricsAfter } from './log-store.ts';

const TERMINAL = ['SUCCEEDED', 'FAILED', 'STOPPED', 'LOST'];

/**
 * Merges what is persisted with what a live pipeline still holds. The pending snapshot is taken
 * before the database read: a line persisted in between is then seen twice (and de-duplicated), never zero times.
 */
function mergeAfter<T extends { seq: number }>(pending: T[], persisted: T[], limit: number, key: (t: T) => string): T[] {
  const seen = new Set<string>();
  const merged: T[] = [];
  for (const item of [...persisted, ...pending].sort((a, b) => a.seq - b.seq)) {
    const k = key(item);
    if (seen.has(k)) continue;
    seen.add(k);
    merged.push(item);
  }
  return merged.slice(0, limit);
}

async function jobCompletion(services: Services, jobId: string) {
  const job = await services.db.prisma.job.findUnique({ where: { id: jobId }, select: { status: true, lastSeq: true } });
  // A closed pipeline has persisted every line and published its end: only then is a terminal job complete.
  const pipeline = services.jobs.pipeline(jobId);
  const following = !!pipeline && !pipeline.closed;
  return { complete: !job || (TERMINAL.includes(job.status) && !following), lastSeq: job?.lastSeq ?? 0 };
}

export function logSource(services: Services, jobId: string, levels?: LogLevel[]): SequenceSource<LogRecord> {
  const wanted = levels?.length ? new Set(levels) : undefined;
  const keep = (r: LogRecord) => !wanted || wanted.has(r.level);
  return {
    async readAfter(afterSeq, limit) {
      const pending = services.jobs.pipeline(jobId)?.pendingLinesAfter(afterSeq, limit, keep) ?? [];
      const persisted = await readLogs(services.db, jobId, { afterSeq, levels, limit });
      const items = mergeAfter(pending, persisted, limit, (r) => String(r.seq));
      return { items, more: persisted.length === limit || items.length === limit };
    },
    fromBatch: (event) => (wanted ? event.lines.filter(keep) : event.lines),
    shareKey: `logs:${wanted ? [...wanted].sort().join(',') : '*'}`,
    isComplete: () => jobCompletion(services, jobId),
  };
}

export function metricSource(services: Services, jobId: string, names?: string[]): SequenceSource<MetricRecord> {
  const wanted = names?.length ? new Set(names) : undefined;
  const keep = (m: MetricRecord) => !wanted || wanted.has(m.name);
  return {
    async readAfter(afterSeq, limit) {
      const pending = (services.jobs.pipeline(jobId)?.pendingMetricsAfter(afterSeq) ?? []).filter(keep);
      const persisted = await readMetricsAfter(services.db, jobId, afterSeq, limit, names);
      const merged = mergeAfter(pending, persisted, Number.MAX_SAFE_INTEGER, (m) => `${m.seq}:${m.name}`);
      if (persisted.length < limit) return { items: merged, more: false };
      // A full page may end in the middle of one line's metrics: hold that line back for the next page.
      const lastSeq = merged[merged.length - 1].seq;
      const items = merged.filter((m) => m.seq < lastSeq);
      return { items: items.length ? items : merged, more: true };
    },
    fromBatch: (event) => (wanted ? event.metrics.filter(keep) : event.metrics),
    shareKey: `metrics:${wanted ? JSON.stringify([...wanted].sort()) : '*'}`,
    isComplete: () => jobCompletion(services, jobId),
  };
}
