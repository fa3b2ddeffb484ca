// Log latency: a child writes 5,000 lines/s for 10 s, each stamped with the wall clock of its write; a
// graphql-ws subscriber (another process) computes now − stamp for every line: stdout → subscriber p50/p99.
// Baseline: the same child piped straight into a Node reader (the latency of the bare pipe).
// Goal (issue 3): p99 ≤ 50 ms.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  checkDelivery,
  countLogEvents,
  child,
  fmt,
  fromQuantiles,
  log,
  newResult,
  round,
  runIfMain,
  runNodeJson,
  startBenchServer,
  startJob,
  SubscriberProcess,
  trainCmd,
  waitForJobEnd,
  waitForLogSubscribers,
  type BenchResult,
} from './lib/common.ts';

const RATE = Number(process.env.BENCH_RATE ?? 5_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const GOAL_P99_MS = 50;

export async function run(): Promise<BenchResult> {
  const total = Math.round(RATE * SECONDS);
  log(`logs-latency: ${fmt(RATE, 0)} lines/s for ${SECONDS} s (${fmt(total, 0)} lines)`);
  const base = await runNodeJson<{ lines: number; errors: number; p50: number; p95: number; p99: number; max: number }>([child('pipe-reader.mjs'), String(RATE), String(SECONDS)]);
  if (base.lines !== total || base.errors) throw new Error(`baseline read ${base.lines} lines with ${base.errors} errors`);
  log(`  baseline (pipe → Node reader): p50 ${fmt(base.p50, 2)} ms, p99 ${fmt(base.p99, 2)} ms, max ${fmt(base.max, 2)} ms`);

  const scratch = mkdtempSync(path.join(tmpdir(), 'anana-bench-'));
  const goFile = path.join(scratch, 'go');
  const bench = await startBenchServer({ ANANA_TRAIN_CMD: trainCmd('paced.mjs', RATE, SECONDS, goFile) });
  const subscriber = new SubscriberProcess({ mode: 'graphql-ws', url: bench.wsUrl, clients: 1, expected: total, latency: true, timeoutMs: SECONDS * 1000 + 60_000 });
  try {
    await subscriber.ready();
    const jobId = await startJob(bench.server);
    subscriber.go(jobId);
    await waitForLogSubscribers(bench.server, jobId, 1);
    const events = countLogEvents(bench.server, jobId);
    // Stalls of the server's event loop (it runs in this process) show up in the latency's tail.
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    writeFileSync(goFile, '');
    const report = await subscriber.report();
    const status = await waitForJobEnd(bench.server, jobId);
    const published = events.stop();
    loopDelay.disable();
    const loop = { p50: round(loopDelay.percentile(50) / 1e6, 2), p99: round(loopDelay.percentile(99) / 1e6, 2), max: round(loopDelay.max / 1e6, 2) };
    const delivery = checkDelivery(report, total);
    const q = (p: number) => fromQuantiles(report.latencies, p);
    const ok = delivery.complete === 1 && status === 'SUCCEEDED';
    log(`  pipeline (job → graphql-ws subscriber): p50 ${fmt(q(50), 2)} ms, p95 ${fmt(q(95), 2)} ms, p99 ${fmt(q(99), 2)} ms, max ${fmt(q(100), 2)} ms`);
    log(`  subscriber: ${fmt(delivery.lines, 0)} lines in ${fmt(delivery.messages, 0)} messages; gaps ${delivery.gaps}, duplicates ${delivery.duplicates}; job ${status}`);
    log(`  the pipeline published ${fmt(published.batches, 0)} live batches (${fmt(published.batchesPerSecond, 0)}/s, ${published.linesPerBatch} lines each)`);
    log(`  server event-loop delay meanwhile: p50 ${loop.p50} ms, p99 ${loop.p99} ms, max ${loop.max} ms`);
    if (!ok) log(`  DELIVERY CHECK FAILED${delivery.errors.length ? `: ${delivery.errors.join('; ')}` : ''}`);
    return newResult(
      'logs-latency',
      [
        { label: 'stdout→subscriber p99 (ms, not a ratio)', ratio: round(q(99), 2), goal: `≤ ${GOAL_P99_MS} ms`, pass: ok && q(99) <= GOAL_P99_MS },
        { label: 'p99 latency, pipeline / bare pipe', ratio: round(q(99) / base.p99, 1), goal: 'none (information)', pass: null },
        { label: 'p50 latency, pipeline / bare pipe', ratio: round(q(50) / base.p50, 1), goal: 'none (information)', pass: null },
      ],
      {
        rate: RATE,
        seconds: SECONDS,
        lines: total,
        baselineMs: { p50: round(base.p50, 3), p95: round(base.p95, 3), p99: round(base.p99, 3), max: round(base.max, 3) },
        pipelineMs: { p50: round(q(50), 3), p95: round(q(95), 3), p99: round(q(99), 3), max: round(q(100), 3) },
        messages: delivery.messages,
        published,
        serverEventLoopDelayMs: loop,
        delivery,
        status,
      },
    );
  } finally {
    subscriber.kill();
    await bench.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, run);
