// Fan-out: 1,000 graphql-ws subscribers (real `ws` clients in another process) on one job printing 1,000
// lines/s for 10 s. Every subscriber must get every line, in order, once (gaps and duplicates counted); p99
// latency; lines delivered per second over all subscribers — against a bare `ws` server that reads the same
// child's stdout and broadcasts the same payloads (LogBatch-shaped graphql-ws `next` messages) to 1,000 clients
// of the same kind. Goal (issue 3): ≥ 0.7× the bare broadcast.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bareBroadcast } from './lib/bare-broadcast.ts';
import {
  checkDelivery,
  countLogEvents,
  cpuTimeline,
  child,
  fmt,
  fromQuantiles,
  log,
  newResult,
  RESULTS_DIR,
  round,
  runIfMain,
  startBenchServer,
  startJob,
  SubscriberProcess,
  trainCmd,
  waitForJobEnd,
  waitForLogSubscribers,
  waitForQuietLoop,
  wallNow,
  type BenchResult,
  type SubscriberReport,
} from './lib/common.ts';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1_000);
const RATE = Number(process.env.BENCH_RATE ?? 1_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const GOAL = 0.7;
/** Latency samples: every 10th line of every client. */
const SAMPLE_EVERY = 10;
const TIMEOUT_MS = SECONDS * 1000 + 60_000;

interface PhaseResult {
  report: SubscriberReport;
  delivery: ReturnType<typeof checkDelivery>;
  durationMs: number;
  linesPerSecond: number;
  messagesPerSecond: number;
  latency: { p50: number; p95: number; p99: number; max: number };
  complete: boolean;
  /** CPU % of the broadcasting process and of the subscriber process, every 2 s. */
  cpuTimeline?: Record<string, number>[];
}

function phaseResult(report: SubscriberReport, t0: number, total: number): PhaseResult {
  const delivery = checkDelivery(report, total);
  const durationMs = report.lastAt - t0;
  const q = (p: number) => round(fromQuantiles(report.latencies, p), 2);
  return {
    report,
    delivery,
    durationMs: round(durationMs, 0),
    linesPerSecond: round(delivery.lines / (durationMs / 1000), 0),
    messagesPerSecond: round(delivery.messages / (durationMs / 1000), 0),
    latency: { p50: q(50), p95: q(95), p99: q(99), max: q(100) },
    complete: delivery.complete === CLIENTS,
  };
}

/** The baseline: the paced child's stdout, split into lines per chunk, broadcast by a bare `ws` server. */
async function bareBaseline(total: number): Promise<PhaseResult> {
  const { report, t0, cpuTimeline: timeline } = await bareBroadcast(
    [child('paced.mjs'), String(RATE), String(SECONDS), '-'],
    { clients: CLIENTS, expected: total, latency: true, sampleEvery: SAMPLE_EVERY, timeoutMs: TIMEOUT_MS },
    2000,
  );
  return { ...phaseResult(report, t0, total), cpuTimeline: timeline };
}

async function pipeline(total: number): Promise<PhaseResult & { status: string; published: ReturnType<ReturnType<typeof countLogEvents>['stop']> }> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'anana-bench-'));
  const goFile = path.join(scratch, 'go');
  const bench = await startBenchServer({ ANANA_TRAIN_CMD: trainCmd('paced.mjs', RATE, SECONDS, goFile) });
  const subscriber = new SubscriberProcess({ mode: 'graphql-ws', url: bench.wsUrl, clients: CLIENTS, expected: total, latency: true, sampleEvery: SAMPLE_EVERY, timeoutMs: TIMEOUT_MS });
  try {
    await subscriber.ready();
    const jobId = await startJob(bench.server);
    subscriber.go(jobId);
    await waitForLogSubscribers(bench.server, jobId, CLIENTS);
    // The subscriptions read their (empty) history first: the lines start once the server has settled.
    const settleMs = await waitForQuietLoop();
    log(`  ${fmt(CLIENTS, 0)} subscriptions registered; the server settled after ${fmt(settleMs, 0)} ms`);
    const events = countLogEvents(bench.server, jobId);
    const cpu = cpuTimeline({ server: process.pid, subscribers: subscriber.proc.pid as number }, 2000);
    const t0 = wallNow();
    writeFileSync(goFile, '');
    const report = await subscriber.report();
    const timeline = cpu.stop();
    const status = await waitForJobEnd(bench.server, jobId, 60_000).catch((error: Error) => error.message);
    return { ...phaseResult(report, t0, total), status, published: events.stop(), cpuTimeline: timeline };
  } finally {
    subscriber.kill();
    await bench.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function lastBare(): Promise<PhaseResult> {
  const { readFile } = await import('node:fs/promises');
  const file = path.join(RESULTS_DIR, `fanout.${process.env.DATABASE_URL ? 'postgres' : 'embedded'}.json`);
  const saved = JSON.parse(await readFile(file, 'utf8')) as { details: { bare: PhaseResult } };
  return { ...saved.details.bare, report: { clients: CLIENTS, connectedMs: 0, perClient: [], latencies: [], firstAt: 0, lastAt: 0, cpuMs: 0 } };
}

export async function run(): Promise<BenchResult> {
  const total = Math.round(RATE * SECONDS);
  log(`fanout: ${fmt(CLIENTS, 0)} subscribers, ${fmt(RATE, 0)} lines/s for ${SECONDS} s (${fmt(total, 0)} lines each)`);
  const describe = (name: string, r: PhaseResult) => {
    const cpu = r.cpuTimeline ?? [];
    if (cpu.length) log(`  ${name}, CPU % every 2 s (server process / subscriber process): ${cpu.map((c) => `${c.server}/${c.subscribers}`).join(' ')}`);
    log(`  ${name}: ${fmt(r.linesPerSecond, 0)} lines/s delivered (${fmt(r.messagesPerSecond, 0)} ws messages/s) over ${fmt(r.durationMs, 0)} ms`);
    log(`    ${r.delivery.complete}/${CLIENTS} subscribers complete; gaps ${r.delivery.gaps}, duplicates ${r.delivery.duplicates}, mismatches ${r.delivery.outOfOrder}; latency p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms${r.delivery.errors.length ? `; errors: ${r.delivery.errors.join('; ')}` : ''}`);
  };
  // BENCH_FANOUT_SKIP_BARE=1 (for profiling the server alone) reuses the bare numbers of the last saved run.
  const bare = process.env.BENCH_FANOUT_SKIP_BARE === '1' ? await lastBare() : await bareBaseline(total);
  describe('bare ws broadcast', bare);
  const ours = await pipeline(total);
  describe(`graphql-ws jobLogs (job ${ours.status})`, ours);
  log(`    the pipeline published ${fmt(ours.published.batches, 0)} live batches (${fmt(ours.published.batchesPerSecond, 0)}/s, ${ours.published.linesPerBatch} lines each) to each subscriber`);
  const ratio = ours.linesPerSecond / bare.linesPerSecond;
  const strip = ({ report: _report, ...rest }: PhaseResult) => ({ ...rest, subscriberConnectMs: round(_report.connectedMs, 0) });
  return newResult(
    'fanout',
    [
      { label: 'lines delivered/s over all subscribers, jobLogs / bare ws broadcast', ratio: round(ratio, 3), goal: `≥ ${GOAL}×`, pass: ours.complete && ratio >= GOAL },
      { label: `subscribers with every line once, in order (of ${fmt(CLIENTS, 0)})`, ratio: ours.delivery.complete, goal: `= ${CLIENTS}`, pass: ours.complete && ours.delivery.gaps === 0 && ours.delivery.duplicates === 0 },
      { label: 'p99 latency, jobLogs / bare ws broadcast', ratio: round(ours.latency.p99 / bare.latency.p99, 1), goal: 'none (information)', pass: null },
    ],
    { clients: CLIENTS, rate: RATE, seconds: SECONDS, linesPerClient: total, bare: strip(bare), graphqlWs: { ...strip(ours), status: ours.status, published: ours.published } },
  );
}

runIfMain(import.meta.url, run);
