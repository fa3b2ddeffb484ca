import { BoundedQueue } from '../events/bounded-queue.ts';
import { LruMap } from '../lru-map.ts';
import { cached } from '../object-cache.ts';
import type { EventBus } from '../events/event-bus.ts';
import { logTopic, MAX_MESSAGE_JSON_BYTES, MAX_MESSAGE_LINES, type LogEvent } from './log-record.ts';

export interface SequenceSource<T extends { seq: number }> {
  /** Items of the job with seq > afterSeq, ascending, about `limit` (persisted and still pending merged); `more` if there may be more. */
  readAfter(afterSeq: number, limit: number): Promise<{ items: T[]; more: boolean }>;
  /** The items a live batch carries. */
  fromBatch(event: Extract<LogEvent, { type: 'batch' }>): T[];
  /** Whether the job has ended and every item is persisted (nothing more will come). */
  isComplete(): Promise<{ complete: boolean; lastSeq: number }>;
  /**
   * Identifies what `fromBatch` keeps (e.g. the level filter): subscribers whose sources have the same key get the
   * same chunk object for a live batch, so that its GraphQL result and JSON can be computed once for all of them.
   */
  readonly shareKey?: string;
}

export interface SequenceChunk<T> {
  items: T[];
  /** Every item with seq ≤ lastSeq has been delivered (or filtered out): the resume point. */
  lastSeq: number;
  done: boolean;
}

const PAGE = 2_000;
/**
 * The most items of a page read from storage in one chunk (one message): replaying a long history in 2,000-line
 * messages made every one a large object for V8, promoted at once to the old generation.
 */
const MAX_HISTORY_CHUNK = MAX_MESSAGE_LINES;
/** The most items a subscriber that is behind gets in one chunk of merged live batches. */
const MAX_MERGED = 5_000;

/** Queued when a subscriber's buffer overflowed and its events were dropped. */
const OVERFLOWED = Symbol('overflowed');

type BatchEvent = Extract<LogEvent, { type: 'batch' }>;

/** One chunk per run of live batches and source key, shared by every subscriber that takes that run (never mutated), cached on the run's first batch. */
const SHARED_CHUNKS = Symbol('shared chunks of runs from this batch');
const MAX_SHARED_RUNS_PER_BATCH = 16;
const BATCH_ID = Symbol('batch id');
let nextBatchId = 0;
const batchId = (event: BatchEvent) => cached(event, BATCH_ID, () => ++nextBatchId);

function sharedChunk<T extends { seq: number }>(run: BatchEvent[], source: SequenceSource<T>): SequenceChunk<T> {
  const lastSeq = run[run.length - 1].toSeq;
  const items = () => (run.length === 1 ? source.fromBatch(run[0]) : run.flatMap((event) => source.fromBatch(event)));
  if (source.shareKey === undefined) return { items: items(), lastSeq, done: false };
  // Subscribers that fell behind by different amounts take different runs from the same first batch. Only the
  // runs taken most recently are kept (with their results and JSON, as long as that batch is queued anywhere):
  // subscribers resuming together take the same ones, and memory stays a small multiple of the batch.
  const byKey = cached(run[0], SHARED_CHUNKS, () => new LruMap<string, SequenceChunk<unknown>>(MAX_SHARED_RUNS_PER_BATCH));
  const key = `${source.shareKey}\u0000${batchId(run[run.length - 1])}`;
  let chunk = byKey.get(key) as SequenceChunk<T> | undefined;
  // Not frozen: its consumers cache what they compute from it on it (see object-cache.ts).
  if (!chunk) byKey.set(key, (chunk = { items: items(), lastSeq, done: false }));
  return chunk;
}

/**
 * History after `afterSeq`, then live items, with no gap and no duplicate.
 * The live listener is registered before history is read, live batches are de-duplicated by seq,
 * and a batch that does not start where delivery stands (missed while replaying, or dropped because
 * this subscriber fell behind its bounded buffer) is filled from storage first.
 */
export function followSequence<T extends { seq: number }>(
  events: EventBus,
  jobId: string,
  afterSeq: number,
  source: SequenceSource<T>,
  options: { maxQueuedBatches?: number } = {},
): AsyncGenerator<SequenceChunk<T>> {
  const queue = new BoundedQueue<LogEvent | typeof OVERFLOWED>(options.maxQueuedBatches ?? 512);
  const generator = follow(events, jobId, afterSeq, source, queue);
  // A generator's return() waits until the generator reaches a yield: one waiting for the next event of a
  // quiet job would hold its listener until that event. Closing the queue first ends that wait at once.
  return {
    next: () => generator.next(),
    return(value) {
      queue.close();
      return generator.return(value);
    },
    throw(error) {
      queue.close();
      return generator.throw(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

async function* follow<T extends { seq: number }>(
  events: EventBus,
  jobId: string,
  afterSeq: number,
  source: SequenceSource<T>,
  queue: BoundedQueue<LogEvent | typeof OVERFLOWED>,
): AsyncGenerator<SequenceChunk<T>> {
  /** Kept apart from the queue: an overflow may drop the end event, and nothing would come after it. */
  let ended: Extract<LogEvent, { type: 'end' }> | undefined;
  const unsubscribe = events.subscribe(logTopic(jobId), (message) => {
    const event = message.payload as LogEvent;
    if (event.type === 'end') ended = event;
    queue.push(event);
    // An overflow empties the queue, this event included: the marker wakes the consumer to catch up at once.
    if (queue.overflowed && queue.size === 0) queue.push(OVERFLOWED);
  });
  queue.onClosed(unsubscribe);
  let last = afterSeq;

  async function* catchUp(upTo = Number.POSITIVE_INFINITY): AsyncGenerator<SequenceChunk<T>> {
    for (;;) {
      const page = await source.readAfter(last, PAGE);
      const items = page.items.filter((r) => r.seq <= upTo);
      for (let start = 0; start < items.length; start += MAX_HISTORY_CHUNK) {
        const part = items.length <= MAX_HISTORY_CHUNK ? items : items.slice(start, start + MAX_HISTORY_CHUNK);
        last = part[part.length - 1].seq;
        yield { items: part, lastSeq: last, done: false };
      }
      if (!page.more || items.length < page.items.length || items.length === 0) break;
    }
    // Everything up to a published bound is readable, so filtered-out seqs below it count as delivered.
    if (Number.isFinite(upTo) && upTo > last) last = upTo;
  }

  try {
    yield* catchUp();
    // Subscribed before this check, so an end that happens after it arrives as an event.
    const state = await source.isComplete();
    if (state.complete) {
      yield* catchUp();
      yield { items: [], lastSeq: Math.max(last, state.lastSeq), done: true };
      return;
    }
    for await (const event of queue) {
      if (queue.overflowed || event === OVERFLOWED) {
        queue.overflowed = false;
        queue.drain();
        yield* catchUp();
        if (ended) {
          yield* catchUp();
          yield { items: [], lastSeq: Math.max(last, ended.lastSeq), done: true };
          return;
        }
        continue;
      }
      if (event.type === 'end') {
        yield* catchUp();
        yield { items: [], lastSeq: Math.max(last, event.lastSeq), done: true };
        return;
      }
      if (event.toSeq <= last) continue;
      if (event.type === 'persisted' || event.fromSeq > last) {
        yield* catchUp(event.type === 'batch' ? event.fromSeq : event.toSeq);
        if (event.type === 'persisted') continue;
      }
      // A subscriber that is behind gets the batches already waiting as one chunk: one execution and one message
      // instead of one per batch.
      const run: BatchEvent[] = [event];
      let exact = event.fromSeq === last;
      let end = event.toSeq;
      let jsonBytes = event.jsonBytes ?? 0;
      for (let next = queue.peek(); next !== undefined && end - event.fromSeq < MAX_MERGED && !queue.overflowed; next = queue.peek()) {
        if (next === OVERFLOWED || next.type !== 'batch' || next.fromSeq > end) break;
        if (jsonBytes + (next.jsonBytes ?? 0) > MAX_MESSAGE_JSON_BYTES) break;
        queue.shift();
        if (next.toSeq <= end) continue;
        if (next.fromSeq !== end) exact = false;
        run.push(next);
        end = next.toSeq;
        jsonBytes += next.jsonBytes ?? 0;
      }
      if (exact) {
        // The batches start where delivery stands and follow each other exactly: the same chunk as every other
        // subscriber that takes the same run of batches gets (all of them, when they keep up).
        last = end;
        yield sharedChunk(run, source);
        continue;
      }
      const items: T[] = [];
      for (const batch of run) {
        for (const item of source.fromBatch(batch)) if (item.seq > last) items.push(item);
        last = Math.max(last, batch.toSeq);
      }
      yield { items, lastSeq: last, done: false };
    }
  } finally {
    queue.close();
  }
}
