import { execute, parse } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { eventExecutor, sharedEventStats, shareKey } from '../../src/http/shared-events.ts';
import { schema } from '../../src/schema/index.ts';
import { range, startJob, trainer, useTrainer, waitForJob } from '../jobs/job-helpers.ts';
import { collectSubscription, startTestServer, waitFor, type TestServer } from '../support/test-server.ts';

describe('shareKey', () => {
  const key = (query: string, variables: Record<string, unknown> = {}, operationName?: string) => shareKey(parse(query), operationName, variables, true);

  it('shares jobLogs and jobMetrics whatever the root arguments are', () => {
    const q = 'subscription($id: ID!, $after: Int) { jobLogs(jobId: $id, afterSeq: $after) { lastSeq lines { seq text } } }';
    expect(key(q, { id: 'a', after: 1 })).toBeDefined();
    expect(key(q, { id: 'a', after: 1 })).toBe(key(q, { id: 'b', after: 500 }));
    expect(key('subscription($id: ID!) { jobMetrics(jobId: $id) { lastSeq points { name value } } }', { id: 'a' })).toBeDefined();
  });

  it('keeps variables used inside the selection in the key', () => {
    const q = 'subscription($id: ID!, $text: Boolean!) { jobLogs(jobId: $id) { lastSeq lines { seq text @include(if: $text) } } }';
    expect(key(q, { id: 'a', text: true })).not.toBe(key(q, { id: 'a', text: false }));
    expect(key(q, { id: 'a', text: true })).toBe(key(q, { id: 'b', text: true }));
    // Left out (its default applies) is not the same input as an explicit null.
    const withDefault = 'subscription($id: ID!, $text: Boolean = true) { jobLogs(jobId: $id) { lines { text @include(if: $text) } } }';
    expect(key(withDefault, { id: 'a' })).not.toBe(key(withDefault, { id: 'a', text: null }));
  });

  it('separates different selections, operations and authentication', () => {
    const a = 'subscription($id: ID!) { jobLogs(jobId: $id) { lastSeq lines { seq } } }';
    const b = 'subscription($id: ID!) { jobLogs(jobId: $id) { lastSeq lines { seq text } } }';
    expect(key(a, { id: 'x' })).not.toBe(key(b, { id: 'x' }));
    expect(shareKey(parse(a), undefined, { id: 'x' }, true)).not.toBe(shareKey(parse(a), undefined, { id: 'x' }, false));
  });

  it('does not share other subscriptions, several root fields or a directive on the root field', () => {
    expect(key('subscription($id: ID!) { jobUpdated(id: $id) { id status } }', { id: 'a' })).toBeUndefined();
    expect(key('subscription($id: ID!) { jobLogs(jobId: $id) { lastSeq } jobMetrics(jobId: $id) { lastSeq } }', { id: 'a' })).toBeUndefined();
    expect(key('subscription($id: ID!, $on: Boolean!) { jobLogs(jobId: $id) @include(if: $on) { lastSeq } }', { id: 'a', on: true })).toBeUndefined();
    expect(key('query { jobs { id } }')).toBeUndefined();
  });
});

interface LogBatch {
  jobLogs: { lastSeq: number; done: boolean; lines: { seq: number; text: string; level?: string }[] };
}

describe('subscribers of one job share each live batch', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  const ALL = 'subscription($id: ID!, $after: Int) { jobLogs(jobId: $id, afterSeq: $after) { lastSeq done lines { seq text level } } }';
  const WARNINGS = 'subscription($id: ID!) { jobLogs(jobId: $id, levels: [WARNING]) { lastSeq done lines { seq text level } } }';
  const NO_TEXT = 'subscription($id: ID!, $text: Boolean!) { jobLogs(jobId: $id) { lastSeq done lines { seq text @include(if: $text) } } }';

  const lines = (batches: LogBatch[]) => batches.flatMap((b) => b.jobLogs.lines);
  const untilDone = (items: LogBatch[]) => items.at(-1)?.jobLogs.done === true;

  it('gives every subscriber exactly its own lines while most batches are executed once for all of them', async () => {
    const total = 3_000;
    // 60 chunks of 50 lines, 50 ms apart: live batches, every 10th line a WARNING.
    useTrainer(server, trainer('numbered.mjs', total, 50, 50, 0, 10));
    const id = await startJob(server.gql);
    const clients: Client[] = Array.from({ length: 12 }, () => server.wsClient());
    const before = { ...sharedEventStats };
    const subscriptions = [
      ...clients.slice(0, 8).map((c) => collectSubscription<LogBatch>(c, ALL, { id }, untilDone)),
      ...clients.slice(8, 10).map((c) => collectSubscription<LogBatch>(c, WARNINGS, { id }, untilDone)),
      collectSubscription<LogBatch>(clients[10], NO_TEXT, { id, text: false }, untilDone),
      collectSubscription<LogBatch>(clients[11], NO_TEXT, { id, text: true }, untilDone),
    ];
    const results = await Promise.all(subscriptions);
    expect((await waitForJob(server.gql, id)).status).toBe('SUCCEEDED');
    const expected = range(total).map((i) => (i % 10 === 0 ? `WARNING line ${i}` : `line ${i}`));
    for (const batches of results.slice(0, 8)) {
      expect(lines(batches).map((l) => l.seq)).toEqual(range(total));
      expect(lines(batches).map((l) => l.text)).toEqual(expected);
      expect(batches.at(-1)!.jobLogs.lastSeq).toBe(total);
    }
    for (const batches of results.slice(8, 10)) {
      expect(lines(batches).map((l) => l.seq)).toEqual(range(total / 10).map((i) => i * 10));
      expect(new Set(lines(batches).map((l) => l.level))).toEqual(new Set(['WARNING']));
    }
    expect(lines(results[10]).map((l) => l.seq)).toEqual(range(total));
    expect(lines(results[10]).every((l) => !('text' in l))).toBe(true);
    expect(lines(results[11]).map((l) => l.text)).toEqual(expected);
    const executed = sharedEventStats.executed - before.executed;
    const reused = sharedEventStats.reused - before.reused;
    // Without sharing every subscriber executes every batch itself (reused stays 0).
    expect(reused).toBeGreaterThan(executed);
    await Promise.all(clients.map((c) => c.dispose()));
  });

  it('sends a shared batch as a text frame holding the exact UTF-8 of every line, to sockets with the same or another id', async () => {
    const text = (i: number) => `ünïcødé 日本語 😀 "quoted" \\ ${i}`;
    const script = `setTimeout(() => { let out = ''; for (let i = 1; i <= 400; i++) out += ${JSON.stringify('ünïcødé 日本語 😀 "quoted" \\ ')} + i + '\\n'; process.stdout.write(out); }, 1500);`;
    useTrainer(server, [process.execPath, '-e', script, '--']);
    const id = await startJob(server.gql);
    const url = `${server.url.replace('http', 'ws')}/graphql`;
    const sockets = ['1', '1', 'other'].map((subscriptionId) => {
      const socket = new WebSocket(url, 'graphql-transport-ws');
      const frames: { binary: boolean; message: { type: string; id?: string; payload?: { data?: LogBatch } } }[] = [];
      const done = new Promise<void>((resolve, reject) => {
        socket.on('error', reject);
        socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
        socket.on('message', (data, isBinary) => {
          const message = JSON.parse(String(data));
          frames.push({ binary: isBinary, message });
          if (message.type === 'connection_ack') socket.send(JSON.stringify({ id: subscriptionId, type: 'subscribe', payload: { query: ALL, variables: { id } } }));
          if (message.type === 'complete' || message.type === 'error') resolve();
        });
      });
      return { socket, frames, done, subscriptionId };
    });
    const before = { ...sharedEventStats };
    await Promise.all(sockets.map((s) => s.done));
    for (const { socket, frames, subscriptionId } of sockets) {
      socket.close();
      expect(frames.every((f) => !f.binary)).toBe(true);
      const next = frames.filter((f) => f.message.type === 'next');
      expect(next.every((f) => f.message.id === subscriptionId)).toBe(true);
      expect(next.flatMap((f) => f.message.payload!.data!.jobLogs.lines.map((l) => l.text))).toEqual(range(400).map(text));
    }
    expect(sharedEventStats.reused - before.reused).toBeGreaterThan(0);
  });

  it('reports an unknown job and a bad variable with the same codes as any other operation', async () => {
    const client = server.wsClient();
    const errorsOf = (variables: Record<string, unknown>) =>
      new Promise<{ message: string; extensions?: { code?: string } }[]>((resolve, reject) => {
        client.subscribe(
          { query: ALL, variables },
          { next: (result) => (result.errors ? resolve(result.errors as never) : reject(new Error('expected errors'))), error: (errors) => resolve(errors as never), complete: () => reject(new Error('completed without errors')) },
        );
      });
    const unknown = await errorsOf({ id: '00000000-0000-4000-8000-000000000000' });
    expect(unknown[0]!.extensions?.code).toBe('NOT_FOUND');
    const badVariable = await errorsOf({ id: 'x', after: 'not a number' });
    expect(badVariable[0]!.message).toMatch(/\$after/);
    expect(badVariable[0]!.extensions?.code).toBe('BAD_USER_INPUT');
    await client.dispose();
  });

  it('serialises a shared batch once for all sockets, and the message is what the client would parse anyway', async () => {
    useTrainer(server, trainer('numbered.mjs', 1_000, 50, 50));
    const id = await startJob(server.gql);
    const clients = Array.from({ length: 6 }, () => server.wsClient());
    const before = { ...sharedEventStats };
    const results = await Promise.all(clients.map((c) => collectSubscription<LogBatch>(c, ALL, { id }, untilDone)));
    for (const batches of results) expect(lines(batches).map((l) => l.text)).toEqual(range(1_000).map((i) => `line ${i}`));
    const serialised = sharedEventStats.serialised - before.serialised;
    const reused = sharedEventStats.reused - before.reused;
    expect(serialised).toBeGreaterThan(0);
    expect(serialised).toBeLessThan(reused);
    await waitFor(async () => (await waitForJob(server.gql, id)).status === 'SUCCEEDED');
    await Promise.all(clients.map((c) => c.dispose()));
  });
});

describe('eventExecutor (graphql-jit) gives what graphql-js gives', () => {
  const time = new Date(Date.UTC(2026, 11, 1, 9, 0, 0, 123));
  const logBatch = {
    jobId: '6f1c1f3e-8d0e-4a57-9c39-3a8f5c1e2b10',
    lastSeq: 42,
    done: false,
    items: [
      { seq: 40, stream: 'STDOUT', level: 'INFO', text: 'epoch 1 loss=0.5', time },
      { seq: 41, stream: 'STDERR', level: 'WARNING', text: 'WARNING: \u00e9\u0000 "quoted" \\ tab\t', time },
      { seq: 42, stream: 'SYSTEM', level: 'ERROR', text: '', time: new Date(0) },
    ],
  };
  const metricBatch = {
    jobId: logBatch.jobId,
    lastSeq: 42,
    done: true,
    items: [
      { seq: 40, name: 'loss', step: 3, epoch: null, value: 0.5, time },
      { seq: 41, name: 'lr', step: null, epoch: 1.5, value: 5e-5, time },
    ],
  };
  const cases: { name: string; query: string; variables?: Record<string, unknown>; event: unknown }[] = [
    { name: 'every LogBatch field', query: 'subscription($id: ID!) { jobLogs(jobId: $id) { jobId lastSeq done lines { seq stream level text time } } }', event: logBatch },
    { name: 'aliases and __typename', query: 'subscription S($id: ID!) { l: jobLogs(jobId: $id) { __typename end: lastSeq ls: lines { __typename n: seq t: text } } }', event: logBatch },
    { name: '@include and @skip with variables', query: 'subscription($id: ID!, $t: Boolean!, $s: Boolean = true) { jobLogs(jobId: $id) { lines { seq text @include(if: $t) level @skip(if: $s) } } }', variables: { t: false }, event: logBatch },
    { name: 'fragments', query: 'subscription($id: ID!) { jobLogs(jobId: $id) { ...B lines { ... on LogLine { seq } ...L } } } fragment B on LogBatch { lastSeq done } fragment L on LogLine { time stream }', event: logBatch },
    { name: 'metrics with nullable step and epoch', query: 'subscription($id: ID!) { jobMetrics(jobId: $id) { lastSeq done points { seq name step epoch value time } } }', event: metricBatch },
    { name: 'a null where the schema says non-null', query: 'subscription($id: ID!) { jobLogs(jobId: $id) { lastSeq lines { seq text } } }', event: { ...logBatch, items: [{ seq: 1, text: null }] } },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const document = parse(c.query);
      const variableValues = { id: logBatch.jobId, ...c.variables };
      const expected = await execute({ schema, document, rootValue: c.event, variableValues, contextValue: {} });
      const executor = eventExecutor(document, undefined, schema);
      expect(executor.compiled).toBe(true);
      const actual = await executor({ schema, document, variableValues, contextValue: {} }, c.event);
      expect(JSON.parse(JSON.stringify(actual))).toEqual(JSON.parse(JSON.stringify(expected)));
    });
  }
});
