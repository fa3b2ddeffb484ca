import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/event-bus.ts';
import { followSequence, type SequenceChunk, type SequenceSource } from '../../src/logs/follow-sequence.ts';
import { logTopic, MAX_MESSAGE_JSON_BYTES, type LogBatchEvent, type LogRecord } from '../../src/logs/log-record.ts';
import { collectSubscription, startTestServer, waitFor, type TestServer } from '../support/test-server.ts';
import { getJob, range, startJob, trainer, useTrainer, waitForJob } from '../jobs/job-helpers.ts';

const JOB_LOGS = 'subscription($id: ID!, $after: Int, $levels: [LogLevel!]) { jobLogs(jobId: $id, afterSeq: $after, levels: $levels) { lastSeq done lines { seq text level } } }';

interface Batch {
  jobLogs: { lastSeq: number; done: boolean; lines: { seq: number; text: string; level: string }[] };
}

describe('jobLogs over a real server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  /** Subscribes from `afterSeq` on a fresh connection until `stopAt` lines arrived (or done), then drops the connection. */
  async function segment(id: string, afterSeq: number, stopAt: number, levels?: string[]) {
    const client = server.wsClient();
    let count = 0;
    const batches = await collectSubscription<Batch>(client, JOB_LOGS, { id, after: afterSeq, levels }, (items) => {
      count = items.reduce((n, b) => n + b.jobLogs.lines.length, 0);
      return items.at(-1)!.jobLogs.done || count >= stopAt;
    });
    await client.dispose();
    return batches;
  }

  it('resumes from afterSeq after disconnects while lines keep arriving: no gap, no duplicate', async () => {
    const total = 20_000;
    useTrainer(server, trainer('numbered.mjs', total, 100, 10));
    const id = await startJob(server.gql);
    const seqs: number[] = [];
    const texts: string[] = [];
    let afterSeq = 0;
    let reconnectsWhileRunning = 0;
    for (let round = 0; ; round++) {
      const batches = await segment(id, afterSeq, round < 3 ? 3_000 : Number.POSITIVE_INFINITY);
      for (const b of batches) {
        for (const l of b.jobLogs.lines) {
          seqs.push(l.seq);
          texts.push(l.text);
        }
      }
      const last = batches.at(-1)!.jobLogs;
      if (last.done) {
        expect(last.lastSeq).toBe(total);
        break;
      }
      afterSeq = last.lastSeq;
      if ((await getJob(server.gql, id, 'status')).status === 'RUNNING') reconnectsWhileRunning++;
    }
    expect(reconnectsWhileRunning).toBeGreaterThan(0);
    expect(seqs).toEqual(range(total));
    expect(texts).toEqual(range(total).map((i) => `line ${i}`));
    expect((await waitForJob(server.gql, id)).status).toBe('SUCCEEDED');
  });

  it('filters by level live and in history, and still completes with the last seq of the job', async () => {
    const total = 6_000;
    useTrainer(server, trainer('numbered.mjs', total, 200, 10, 0, 7));
    const id = await startJob(server.gql);
    // One subscriber from the start (mostly live), one that joins in the middle and drops once (history + live).
    const live = segment(id, 0, Number.POSITIVE_INFINITY, ['WARNING']);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const first = await segment(id, 0, 100, ['WARNING']);
    const rest = await segment(id, first.at(-1)!.jobLogs.lastSeq, Number.POSITIVE_INFINITY, ['WARNING']);
    const expected = range(total).filter((i) => i % 7 === 0);
    for (const batches of [await live, [...first, ...rest]]) {
      const lines = batches.flatMap((b) => b.jobLogs.lines);
      expect(lines.map((l) => l.seq)).toEqual(expected);
      expect(lines.every((l) => l.level === 'WARNING' && l.text === `WARNING line ${l.seq}`)).toBe(true);
      expect(batches.at(-1)!.jobLogs).toMatchObject({ done: true, lastSeq: total });
    }
  });

  it('gives a subscriber that joins after the end the whole history, then done', async () => {
    useTrainer(server, trainer('numbered.mjs', 5_000, 5_000));
    const id = await startJob(server.gql);
    await waitForJob(server.gql, id, ['SUCCEEDED']);
    const batches = await segment(id, 1_234, Number.POSITIVE_INFINITY);
    expect(batches.flatMap((b) => b.jobLogs.lines.map((l) => l.seq))).toEqual(range(5_000).slice(1_234));
    expect(batches.at(-1)!.jobLogs).toMatchObject({ done: true, lastSeq: 5_000 });
  });

  it('frees what a subscriber held when its connection drops abruptly, even while the job is quiet', async () => {
    useTrainer(server, ['bash', '-c', 'echo "first line"; sleep 30', 'quiet-trainer']);
    const id = await startJob(server.gql);
    try {
      const topic = logTopic(id);
      const before = server.app.services.events.listenerCount(topic);
      const clients = [server.wsClient(), server.wsClient()];
      await Promise.all(clients.map((client) => collectSubscription<Batch>(client, JOB_LOGS, { id, after: 0 }, (items) => items.some((b) => b.jobLogs.lines.length > 0))));
      // collectSubscription has completed its subscriptions; now hold two open and drop their sockets.
      const open = clients.map((client) => new Promise((resolve) => client.subscribe({ query: JOB_LOGS, variables: { id, after: 0 } }, { next: resolve, error: resolve, complete: () => {} })));
      await Promise.all(open);
      expect(server.app.services.events.listenerCount(topic)).toBe(before + 2);
      for (const client of clients) await client.dispose();
      await waitFor(() => server.app.services.events.listenerCount(topic) === before, 5_000, 'the listeners of the dropped subscribers to be removed');
    } finally {
      // The job would otherwise hold the only slot of the queue for 30 s.
      await server.gql('mutation($id: ID!) { stopJob(id: $id) { status } }', { id });
    }
  });

  it('completes every subscriber when a job ends while they replay history', async () => {
    // Many subscribers start while a short flood is being written, so that the end comes during their replay.
    useTrainer(server, trainer('numbered.mjs', 20_000, 20_000));
    const id = await startJob(server.gql);
    const results = [];
    for (let i = 0; i < 5; i++) {
      results.push(segment(id, 0, Number.POSITIVE_INFINITY));
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    for (const batches of await Promise.all(results)) {
      const seqs = batches.flatMap((b) => b.jobLogs.lines.map((l) => l.seq));
      expect(seqs).toEqual(range(20_000));
      expect(batches.at(-1)!.jobLogs).toMatchObject({ done: true, lastSeq: 20_000 });
    }
  });
});

describe('followSequence with a subscriber that falls behind', () => {
  /** An in-memory log: `append` stores lines and publishes them as the pipeline does; `end` publishes the end. */
  function fakeLog(jobId: string) {
    const events = new EventBus();
    const stored: LogRecord[] = [];
    let ended = false;
    const source: SequenceSource<LogRecord> = {
      async readAfter(afterSeq, limit) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        const items = stored.filter((r) => r.seq > afterSeq).slice(0, limit);
        return { items, more: items.length === limit };
      },
      fromBatch: (event) => event.lines,
      isComplete: async () => ({ complete: ended, lastSeq: stored.length }),
    };
    return {
      events,
      source,
      append(n: number, jsonBytes?: number) {
        const fromSeq = stored.length;
        const lines = range(n).map((i): LogRecord => ({ seq: fromSeq + i, stream: 'STDOUT', level: 'INFO', text: `line ${fromSeq + i}`, time: new Date() }));
        stored.push(...lines);
        const event: LogBatchEvent = { type: 'batch', jobId, fromSeq, toSeq: stored.length, lines, metrics: [], jsonBytes };
        events.publish(logTopic(jobId), event);
      },
      end() {
        ended = true;
        events.publish(logTopic(jobId), { type: 'end', jobId, lastSeq: stored.length });
      },
    };
  }

  /** Reads chunks until done, failing (instead of hanging) when none comes for 5 s. */
  async function drain(gen: AsyncGenerator<SequenceChunk<LogRecord>>) {
    const chunks: SequenceChunk<LogRecord>[] = [];
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`stalled after ${chunks.length} chunks`)), 5_000)));
      const result = await Promise.race([gen.next(), stalled]).finally(() => clearTimeout(timer));
      if (result.done) break;
      chunks.push(result.value);
      if (result.value.done) break;
    }
    await gen.return(undefined);
    return chunks;
  }

  it('completes when the end event itself was dropped by the overflow of its bounded buffer', async () => {
    const log = fakeLog('job-a');
    const gen = followSequence(log.events, 'job-a', 0, log.source, { maxQueuedBatches: 2 });
    const first = gen.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    log.append(10); // taken at once by the waiting consumer
    const chunk = await first;
    // The consumer now pauses; the buffer (2) fills, and the end is the event that overflows it.
    log.append(10);
    log.append(10);
    log.end();
    const chunks: SequenceChunk<LogRecord>[] = [chunk.value as SequenceChunk<LogRecord>, ...(await drain(gen))];
    expect(chunks.flatMap((c) => c.items.map((r) => r.seq))).toEqual(range(30));
    expect(chunks.at(-1)).toMatchObject({ done: true, lastSeq: 30 });
  });

  it('lets go of its listener at once when the consumer stops while it waits for a quiet job', async () => {
    const log = fakeLog('job-c');
    const topic = logTopic('job-c');
    const gen = followSequence(log.events, 'job-c', 0, log.source);
    const pending = gen.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log.events.listenerCount(topic)).toBe(1);
    await gen.return(undefined);
    expect(log.events.listenerCount(topic)).toBe(0);
    expect(await pending).toMatchObject({ done: true });
  });

  it('delivers every item exactly once, in order, to a consumer slower than the producer', async () => {
    const log = fakeLog('job-b');
    const gen = followSequence(log.events, 'job-b', 0, log.source, { maxQueuedBatches: 4 });
    const seqs: number[] = [];
    const consumer = (async () => {
      for await (const chunk of gen) {
        seqs.push(...chunk.items.map((r) => r.seq));
        await new Promise((resolve) => setTimeout(resolve, 3));
        if (chunk.done) return chunk;
      }
    })();
    for (let i = 0; i < 300; i++) {
      log.append(1 + (i % 7));
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const total = (await log.source.isComplete()).lastSeq;
    log.end();
    const last = await Promise.race([consumer, new Promise((_, reject) => setTimeout(() => reject(new Error(`stalled at ${seqs.length}`)), 10_000))]);
    expect(seqs).toEqual(range(total));
    expect(last).toMatchObject({ done: true, lastSeq: total });
  });

  it('sends the live batches waiting for a subscriber that is behind as one chunk, without gap or duplicate', async () => {
    const log = fakeLog('job-c');
    const gen = followSequence(log.events, 'job-c', 0, log.source, { maxQueuedBatches: 64 });
    const first = gen.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Ten batches published while the subscriber is busy with the first.
    for (let i = 0; i < 10; i++) log.append(10);
    log.end();
    const head = await first;
    const rest = await drain(gen);
    const chunks = [head.value as SequenceChunk<LogRecord>, ...rest];
    expect(chunks.flatMap((c) => c.items.map((r) => r.seq))).toEqual(range(100));
    expect(chunks.length).toBeLessThanOrEqual(3);
  });

  it('replays a long history in chunks of at most 500 items, from afterSeq, then goes on live', async () => {
    const log = fakeLog('job-h');
    for (let i = 0; i < 7; i++) log.append(1_000);
    const gen = followSequence(log.events, 'job-h', 1_234, log.source);
    const chunks: SequenceChunk<LogRecord>[] = [];
    for (;;) {
      const next = await gen.next();
      const chunk = next.value as SequenceChunk<LogRecord>;
      chunks.push(chunk);
      if (chunk.lastSeq === 7_000) break;
    }
    log.append(10);
    log.end();
    chunks.push(...(await drain(gen)));
    expect(chunks.flatMap((c) => c.items.map((r) => r.seq))).toEqual(range(7_010 - 1_234).map((i) => 1_234 + i));
    expect(Math.max(...chunks.map((c) => c.items.length))).toBeLessThanOrEqual(500);
    // Each chunk's resume point is its last item.
    for (const c of chunks) if (c.items.length) expect(c.lastSeq).toBe(c.items.at(-1)!.seq);
    expect(chunks.at(-1)).toMatchObject({ done: true, lastSeq: 7_010 });
  });

  it("merges waiting batches only up to a message's size", async () => {
    const log = fakeLog('job-d');
    const gen = followSequence(log.events, 'job-d', 0, log.source, { maxQueuedBatches: 64 });
    const first = gen.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Twelve batches of a third of a message each: merged three at a time at most.
    const third = Math.floor(MAX_MESSAGE_JSON_BYTES / 3);
    for (let i = 0; i < 12; i++) log.append(10, third);
    log.end();
    const head = await first;
    const chunks = [head.value as SequenceChunk<LogRecord>, ...(await drain(gen))];
    expect(chunks.flatMap((c) => c.items.map((r) => r.seq))).toEqual(range(120));
    const sizes = chunks.filter((c) => c.items.length).map((c) => c.items.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(30);
    expect(sizes.filter((n) => n === 30).length).toBeGreaterThan(0);
  });
});
