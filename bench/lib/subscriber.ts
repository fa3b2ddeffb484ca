// Child process of the benchmarks: `clients` WebSocket clients that receive LogBatch-shaped messages and check
// them (every line 1..expected once, in order, text matching its seq), optionally measuring latency from the
// wall-clock stamp each line carries. Two modes, with the same client-side work:
// - graphql-ws: real graphql-ws clients subscribed to `jobLogs(jobId)` on the server under test;
// - bare: plain `ws` clients of the bare broadcast server (messages shaped like graphql-ws `next` messages).
// Talks to its parent over IPC: sends `ready` when every client is connected, starts on `go`, sends `report`.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { SubscriberOptions, SubscriberReport } from './common.ts';
import { cpuMsSince } from './cpu.ts';

const options = JSON.parse(process.argv[2]) as SubscriberOptions;
const now = () => performance.timeOrigin + performance.now();
const send = (message: unknown) => process.send?.(message);

interface LineIn {
  seq: number;
  text: string;
}
interface BatchIn {
  lines: LineIn[];
  lastSeq: number;
  done: boolean;
}

const JOB_LOGS = 'subscription($id: ID!) { jobLogs(jobId: $id) { lastSeq done lines { seq stream level text time } } }';
const sampleEvery = options.sampleEvery ?? 1;
const latencies: number[] = [];
let finished = 0;
let reported = false;
let connectedMs = 0;

/** An Error's message, a CloseEvent's code and reason, or JSON. */
function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'code' in error) return `socket closed (${(error as { code: number }).code}${(error as { reason?: string }).reason ? `: ${(error as { reason?: string }).reason}` : ''})`;
  try {
    return JSON.stringify(error).slice(0, 300);
  } catch {
    return String(error);
  }
}

class Counter {
  next = 1;
  lines = 0;
  gaps = 0;
  duplicates = 0;
  outOfOrder = 0;
  messages = 0;
  done = false;
  complete = false;
  firstAt = 0;
  lastAt = 0;
  errors: string[] = [];

  onBatch(batch: BatchIn): void {
    const t = now();
    this.messages++;
    if (batch.lines.length) {
      if (!this.firstAt) this.firstAt = t;
      this.lastAt = t;
    }
    for (const line of batch.lines) {
      if (line.seq < this.next) {
        this.duplicates++;
        continue;
      }
      if (line.seq > this.next) this.gaps += line.seq - this.next;
      this.next = line.seq + 1;
      this.lines++;
      // `line <i> ...`: the child's own numbering must match the seq the server gave it.
      const space = line.text.indexOf(' ', 5);
      if (Number(line.text.slice(5, space)) !== line.seq) this.outOfOrder++;
      if (options.latency && line.seq % sampleEvery === 0) {
        const stamp = line.text.slice(space + 2, line.text.indexOf(' ', space + 1));
        latencies.push(t - Number(stamp));
      }
    }
    if (batch.done) this.done = true;
    if (!this.complete && (this.done || this.lines >= options.expected)) {
      this.complete = true;
      if (++finished === options.clients) void finish();
    }
  }

  error(message: string): void {
    if (this.errors.length < 3) this.errors.push(message);
    if (!this.complete) {
      this.complete = true;
      if (++finished === options.clients) void finish();
    }
  }
}

const counters = Array.from({ length: options.clients }, () => new Counter());
const gqlClients: Client[] = [];
const sockets: WebSocket[] = [];

async function connectAll(): Promise<void> {
  const t0 = now();
  let index = 0;
  // A bounded number of handshakes in flight: a thousand at once overflow the listen backlog.
  const worker = async () => {
    while (index < options.clients) {
      const i = index++;
      if (options.mode === 'graphql-ws') await connectGraphqlWs(i);
      else await connectBare(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(50, options.clients) }, worker));
  connectedMs = now() - t0;
}

function connectGraphqlWs(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = createClient({
      url: options.url,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      keepAlive: 0,
      // A socket the server drops is counted by the subscription's own error handler, not printed.
      onNonLazyError: () => {},
      on: { connected: () => resolve(), error: (e) => reject(e instanceof Error ? e : new Error(describe(e))) },
    });
    gqlClients[i] = client;
  });
}

function connectBare(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(options.url);
    sockets[i] = socket;
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { payload: { data: { jobLogs: BatchIn } } };
      counters[i].onBatch(message.payload.data.jobLogs);
    });
    socket.on('close', () => {
      if (!counters[i].complete) counters[i].error('socket closed early');
    });
  });
}

function subscribeAll(jobId: string): void {
  gqlClients.forEach((client, i) => {
    client.subscribe<{ jobLogs: BatchIn }>(
      { query: JOB_LOGS, variables: { id: jobId } },
      {
        next: (result) => {
          if (result.errors) counters[i].error(JSON.stringify(result.errors).slice(0, 300));
          else if (result.data) counters[i].onBatch(result.data.jobLogs);
        },
        error: (error) => counters[i].error(describe(error)),
        complete: () => {
          if (!counters[i].complete) counters[i].error('completed early');
        },
      },
    );
  });
}

function summary(values: number[]) {
  if (!values.length) return [];
  // Sorted samples are not sent whole: 1,001 quantiles are plenty for the parent's percentiles.
  const sorted = Float64Array.from(values).sort();
  const out: number[] = [];
  for (let q = 0; q <= 1000; q++) out.push(sorted[Math.min(sorted.length - 1, Math.round((q / 1000) * (sorted.length - 1)))]);
  return out;
}

async function finish(): Promise<void> {
  if (reported) return;
  reported = true;
  const firstAt = Math.min(...counters.map((c) => c.firstAt || Number.POSITIVE_INFINITY));
  const lastAt = Math.max(...counters.map((c) => c.lastAt));
  const report: SubscriberReport = {
    clients: options.clients,
    connectedMs,
    perClient: counters.map(({ lines, gaps, duplicates, outOfOrder, messages, done, firstAt, lastAt, errors }) => ({ lines, gaps, duplicates, outOfOrder, messages, done, firstAt, lastAt, errors })),
    latencies: summary(latencies),
    firstAt,
    lastAt,
    cpuMs: cpuAtGo ? cpuMsSince(cpuAtGo) : 0,
  };
  send({ type: 'report', report });
  for (const client of gqlClients) void client.dispose();
  for (const socket of sockets) socket.terminate();
  setTimeout(() => process.exit(0), 500).unref();
}

let cpuAtGo: NodeJS.CpuUsage | undefined;
process.on('message', (message: { type: string; jobId?: string }) => {
  if (message.type !== 'go') return;
  cpuAtGo = process.cpuUsage();
  if (options.mode === 'graphql-ws') subscribeAll(message.jobId as string);
  setTimeout(() => void finish(), options.timeoutMs).unref();
});
process.on('disconnect', () => process.exit(0));

connectAll().then(
  () => send({ type: 'ready' }),
  (error: Error) => {
    send({ type: 'error', error: `connecting failed: ${error.message}` });
    setTimeout(() => process.exit(1), 200);
  },
);
