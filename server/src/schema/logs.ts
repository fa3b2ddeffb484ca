import type { LogRecord, MetricRecord } from '../logs/log-record.ts';
import { mapIterator, SKIP } from '../events/map-iterator.ts';
import { followSequence } from '../logs/follow-sequence.ts';
import { logSource, metricSource } from '../logs/log-reader.ts';
import { metricNames, readLogs, readMetricSeries } from '../logs/log-store.ts';
import { readableText } from '../logs/readable-text.ts';
import { InvalidInputError } from '../errors/errors.ts';
import { builder } from './builder.ts';
import { LogLevelEnum, LogStreamEnum } from './enums.ts';
import { readCached, writeCached } from '../object-cache.ts';

const LogLineRef = builder.objectRef<LogRecord>('LogLine').implement({
  description: 'One line of a job, numbered from 1 in the order it was read.',
  fields: (t) => ({
    seq: t.exposeInt('seq'),
    stream: t.expose('stream', { type: LogStreamEnum }),
    level: t.expose('level', { type: LogLevelEnum }),
    text: t.exposeString('text'),
    time: t.expose('time', { type: 'DateTime' }),
  }),
});

const MetricPointRef = builder.objectRef<MetricRecord>('MetricPoint').implement({
  description: 'A number parsed from a log line; seq is the line it came from.',
  fields: (t) => ({
    seq: t.exposeInt('seq'),
    name: t.exposeString('name'),
    step: t.exposeFloat('step', { nullable: true }),
    epoch: t.exposeFloat('epoch', { nullable: true }),
    value: t.exposeFloat('value'),
    time: t.expose('time', { type: 'DateTime' }),
  }),
});

const LogPage = builder.objectRef<{ lines: LogRecord[]; hasMore: boolean }>('LogPage').implement({
  fields: (t) => ({
    lines: t.expose('lines', { type: [LogLineRef] }),
    hasMore: t.exposeBoolean('hasMore'),
    lastSeq: t.int({ nullable: true, description: 'Seq of the last line returned: pass as afterSeq for the next page.', resolve: (p) => p.lines.at(-1)?.seq ?? null }),
    firstSeq: t.int({ nullable: true, description: 'Seq of the first line returned: pass as beforeSeq (with tail) for the previous page.', resolve: (p) => p.lines[0]?.seq ?? null }),
  }),
});

const MetricSeriesRef = builder.objectRef<Awaited<ReturnType<typeof readMetricSeries>>>('MetricSeries').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    totalPoints: t.exposeInt('totalPoints'),
    downsampled: t.exposeBoolean('downsampled', { description: 'True when points were reduced (M4: first, last, min and max per bucket).' }),
    points: t.expose('points', { type: [MetricPointRef] }),
  }),
});

const MetricNameRef = builder.objectRef<{ name: string; count: number }>('MetricName').implement({
  fields: (t) => ({ name: t.exposeString('name'), count: t.exposeInt('count') }),
});

interface Batch<T> {
  jobId: string;
  items: T[];
  lastSeq: number;
  done: boolean;
}

const LogBatchRef = builder.objectRef<Batch<LogRecord>>('LogBatch').implement({
  description: 'Lines delivered together. Resume after a reconnect with afterSeq = lastSeq.',
  fields: (t) => ({
    jobId: t.exposeID('jobId'),
    lines: t.expose('items', { type: [LogLineRef] }),
    lastSeq: t.exposeInt('lastSeq', { description: 'Every line up to this seq has been delivered (or filtered out).' }),
    done: t.exposeBoolean('done', { description: 'The job ended and every line was delivered; the subscription completes.' }),
  }),
});

const MetricBatchRef = builder.objectRef<Batch<MetricRecord>>('MetricBatch').implement({
  fields: (t) => ({
    jobId: t.exposeID('jobId'),
    points: t.expose('items', { type: [MetricPointRef] }),
    lastSeq: t.exposeInt('lastSeq'),
    done: t.exposeBoolean('done'),
  }),
});

const checkSeq = (name: string, value: number | null | undefined) => {
  if (value != null && (!Number.isInteger(value) || value < 0)) throw new InvalidInputError(`${name} must be a non-negative integer`, { field: name });
  return value ?? 0;
};

/** A shared chunk (see followSequence) makes a shared batch, cached on the chunk, whose result the subscriptions can share. */
const SHARED_BATCH = Symbol('batch of a shared chunk');

/** The chunks as batches of the job (a shared chunk gives a shared batch); return() reaches the chunks at once. */
function batches<T extends { seq: number }>(jobId: string, chunks: AsyncGenerator<{ items: T[]; lastSeq: number; done: boolean }>): AsyncGenerator<Batch<T>> {
  return mapIterator(chunks, (chunk) => {
    if (!chunk.items.length && !chunk.done) return SKIP;
    let batch = readCached<Batch<T>>(chunk, SHARED_BATCH);
    if (!batch || batch.jobId !== jobId) writeCached(chunk, SHARED_BATCH, (batch = { jobId, ...chunk }));
    return batch;
  });
}

builder.queryFields((t) => ({
  logs: t.field({
    type: LogPage,
    description: 'Persisted lines of a job in seq order; filter by level, text (case-insensitive) and seq range.',
    args: {
      jobId: t.arg.id({ required: true }),
      afterSeq: t.arg.int({ required: false }),
      beforeSeq: t.arg.int({ required: false }),
      levels: t.arg({ type: [LogLevelEnum], required: false }),
      search: t.arg.string({ required: false }),
      first: t.arg.int({ required: false, defaultValue: 500 }),
      tail: t.arg.boolean({ required: false, description: 'Return the last `first` lines of the range instead of the first.' }),
    },
    resolve: async (_root, args, ctx) => {
      const job = await ctx.services.jobs.get(String(args.jobId));
      const first = args.first ?? 500;
      if (first < 1 || first > 10_000) throw new InvalidInputError('first must be from 1 to 10000', { field: 'first' });
      if (args.search && args.search.length > 500) throw new InvalidInputError('search is limited to 500 characters', { field: 'search' });
      const lines = await readLogs(ctx.services.db, job.id, {
        afterSeq: checkSeq('afterSeq', args.afterSeq),
        beforeSeq: args.beforeSeq == null ? undefined : checkSeq('beforeSeq', args.beforeSeq),
        levels: args.levels ?? undefined,
        // Stored text holds U+FFFD where the output had NUL: a NUL searched for finds it (and PostgreSQL refuses NUL).
        search: args.search ? readableText(args.search) : undefined,
        limit: first + 1,
        tail: !!args.tail,
      });
      const hasMore = lines.length > first;
      return { lines: args.tail ? lines.slice(-first) : lines.slice(0, first), hasMore };
    },
  }),
  metrics: t.field({
    type: MetricSeriesRef,
    description:
      'One metric of a job, downsampled to at most maxPoints while keeping its shape: per bucket its first, last, lowest and highest point (M4). The buckets are made of blocks of 256 log lines, so a long series asked for at a fine resolution can come with fewer points than maxPoints.',
    args: { jobId: t.arg.id({ required: true }), name: t.arg.string({ required: true }), maxPoints: t.arg.int({ required: false, defaultValue: 2_000 }) },
    resolve: async (_root, args, ctx) => {
      const job = await ctx.services.jobs.get(String(args.jobId));
      const maxPoints = args.maxPoints ?? 2_000;
      if (maxPoints < 4 || maxPoints > 100_000) throw new InvalidInputError('maxPoints must be from 4 to 100000', { field: 'maxPoints' });
      return readMetricSeries(ctx.services.db, job.id, readableText(args.name), maxPoints);
    },
  }),
  metricNames: t.field({
    type: [MetricNameRef],
    args: { jobId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => metricNames(ctx.services.db, (await ctx.services.jobs.get(String(args.jobId))).id),
  }),
}));

builder.subscriptionFields((t) => ({
  jobLogs: t.field({
    type: LogBatchRef,
    description: 'Lines after afterSeq (history first, then live), with no gap and no duplicate; completes when the job has ended.',
    args: { jobId: t.arg.id({ required: true }), afterSeq: t.arg.int({ required: false }), levels: t.arg({ type: [LogLevelEnum], required: false }) },
    subscribe: async (_root, args, ctx) => {
      const job = await ctx.services.jobs.get(String(args.jobId));
      const source = logSource(ctx.services, job.id, args.levels ?? undefined);
      return batches(job.id, followSequence(ctx.services.events, job.id, checkSeq('afterSeq', args.afterSeq), source));
    },
    resolve: (batch) => batch,
  }),
  jobMetrics: t.field({
    type: MetricBatchRef,
    description: 'Metric points from lines after afterSeq, history first, then live.',
    args: { jobId: t.arg.id({ required: true }), afterSeq: t.arg.int({ required: false }), names: t.arg.stringList({ required: false }) },
    subscribe: async (_root, args, ctx) => {
      const job = await ctx.services.jobs.get(String(args.jobId));
      const source = metricSource(ctx.services, job.id, args.names?.map(readableText));
      return batches(job.id, followSequence(ctx.services.events, job.id, checkSeq('afterSeq', args.afterSeq), source));
    },
    resolve: (batch) => batch,
  }),
}));
