// Log pipeline throughput: a child printing 1,000,000 lines of ~100 bytes as fast as it can, run as a job
// through the whole pipeline (followed from its output file, numbered, classified, parsed into metrics,
// persisted to the .log file and the database, delivered to one graphql-ws subscriber in another process),
// against the same child piped into a bare Node line counter. Goal (issue 3): ≥ 0.5× the baseline's lines/s,
// server RSS growth ≤ 50 MB.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import type { Database } from '../server/src/db/database.ts';
import type { LogRecord, MetricRecord } from '../server/src/logs/log-record.ts';
import { alertLines, encodeChunks } from '../server/src/logs/log-chunk.ts';
import { countLogLines, insertLogBatch } from '../server/src/logs/log-store.ts';
import { bareBroadcast } from './lib/bare-broadcast.ts';
import { cpuMsSince } from './lib/cpu.ts';
import {
  checkDelivery,
  child,
  fmt,
  log,
  median,
  newResult,
  round,
  rssSampler,
  runIfMain,
  runNodeJson,
  startBenchServer,
  startJob,
  SubscriberProcess,
  trainCmd,
  waitForJobEnd,
  waitForLogSubscribers,
  wallNow,
  type BenchResult,
} from './lib/common.ts';

const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const METRICS_EVERY = 10;
const GOAL_RATIO = 0.5;
const GOAL_RSS_MB = 50;

const CEILING_LINES = Number(process.env.BENCH_CEILING_LINES ?? 200_000);

/**
 * CPU time (ms) of this machine's PostgreSQL processes (`postgres` in /proc), when DATABASE_URL names this
 * machine; null otherwise (embedded: PGlite runs in this process and is counted in its CPU).
 */
function localPostgresCpuMs(): number | null {
  const url = process.env.DATABASE_URL;
  if (!url || !/@(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url)) return null;
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.includes(' (postgres) ')) continue;
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks * (1000 / 100); // USER_HZ is 100 on Linux
}

/**
 * For the findings, not a verdict: how fast the storage alone takes the same lines, written the way the
 * pipeline writes them (insertLogBatch, 20,000 lines per transaction), after the job's own lines.
 */
async function storageCeiling(db: Database, jobId: string) {
  const BATCH = 20_000;
  const time = new Date();
  const database0 = localPostgresCpuMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let from = LINES + 1; from <= LINES + CEILING_LINES; from += BATCH) {
    const lines: LogRecord[] = [];
    const metrics: MetricRecord[] = [];
    for (let seq = from; seq < from + BATCH; seq++) {
      const metric = seq % METRICS_EVERY === 0;
      const head = metric ? `line ${seq} epoch=0 step=${seq} loss=0.5 lr=0.001 ` : `line ${seq} `;
      lines.push({ seq, stream: 'STDOUT', level: 'INFO', text: head.padEnd(99, 'x'), time });
      if (metric) metrics.push({ seq, name: 'loss', step: seq, epoch: 0, value: 0.5, time }, { seq, name: 'learning_rate', step: seq, epoch: 0, value: 0.001, time });
    }
    await insertLogBatch(db, jobId, { chunks: encodeChunks(lines), alerts: alertLines(lines), metrics }, { lastSeq: from + BATCH - 1, logOffset: 0 });
  }
  const ms = performance.now() - t0;
  const nodeCpuMs = cpuMsSince(cpu0);
  const databaseCpuMs = database0 === null ? null : (localPostgresCpuMs() as number) - database0;
  const perLine = (cpuMs: number) => round((cpuMs * 1000) / CEILING_LINES, 2);
  return {
    lines: CEILING_LINES,
    ms: round(ms, 0),
    linesPerSecond: round(CEILING_LINES / (ms / 1000), 0),
    /** This process: building the records, encoding the chunks and COPY rows, and (embedded) PGlite itself. */
    serverMicrosecondsPerLine: perLine(nodeCpuMs),
    /** PostgreSQL's own processes on this machine (all of them, 10-ms ticks); null on the embedded database. */
    databaseMicrosecondsPerLine: databaseCpuMs === null ? null : perLine(databaseCpuMs),
  };
}

/**
 * For the findings, not a verdict: the ceiling of any pipeline that delivers every line to this subscriber in
 * the LogBatch shape — the same child's stdout through a bare `ws` broadcast (bench/lib/bare-broadcast.ts),
 * nothing parsed, numbered by a counter, nothing stored.
 */
async function deliveryFloor() {
  const { report, t0, serverCpuMs } = await bareBroadcast([child('flood.mjs'), String(LINES), String(METRICS_EVERY), '-'], { clients: 1, expected: LINES, timeoutMs: 120_000 });
  const delivery = checkDelivery(report, LINES);
  const perLine = (ms: number) => round((ms * 1000) / LINES, 2);
  return {
    linesPerSecond: round(LINES / ((report.lastAt - t0) / 1000), 0),
    complete: delivery.complete === 1,
    serverMicrosecondsPerLine: perLine(serverCpuMs),
    subscriberMicrosecondsPerLine: perLine(report.cpuMs),
  };
}

export async function run(): Promise<BenchResult> {
  log(`logs-throughput: ${fmt(LINES, 0)} lines of ~100 bytes (every ${METRICS_EVERY}th a metric line)`);
  // Baseline: the same child into a bare line counter; three runs now and two after the pipeline, the median.
  const baselineRuns: { lines: number; ms: number }[] = [];
  const runBaseline = async (times: number) => {
    for (let i = 0; i < times; i++) baselineRuns.push(await runNodeJson([child('line-counter.mjs'), child('flood.mjs'), String(LINES), String(METRICS_EVERY), '-']));
    if (baselineRuns.some((r) => r.lines !== LINES)) throw new Error(`baseline counted ${baselineRuns.map((r) => r.lines)} lines`);
  };
  await runBaseline(3);
  log(`  baseline (pipe → bare line counter), first runs: ${baselineRuns.map((r) => fmt(LINES / (r.ms / 1000), 0)).join(', ')} lines/s`);

  const scratch = mkdtempSync(path.join(tmpdir(), 'anana-bench-'));
  const goFile = path.join(scratch, 'go');
  const bench = await startBenchServer({ ANANA_TRAIN_CMD: trainCmd('flood.mjs', LINES, METRICS_EVERY, goFile) });
  const subscriber = new SubscriberProcess({ mode: 'graphql-ws', url: bench.wsUrl, clients: 1, expected: LINES, timeoutMs: 170_000 });
  try {
    await subscriber.ready();
    const jobId = await startJob(bench.server);
    subscriber.go(jobId);
    await waitForLogSubscribers(bench.server, jobId, 1);
    // Everything is in place: from here on, the child prints.
    const rss = await rssSampler(50);
    const serverCpu = process.cpuUsage();
    const t0 = wallNow();
    writeFileSync(goFile, '');
    const report = await subscriber.report();
    const tDelivered = wallNow();
    const status = await waitForJobEnd(bench.server, jobId, 170_000);
    const tEnded = wallNow();
    const serverCpuMs = cpuMsSince(serverCpu);
    const memory = rss.stop();
    const delivery = checkDelivery(report, LINES);
    const { prisma } = bench.server.app.services.db;
    const [persistedLines, persistedMetrics] = await Promise.all([countLogLines(bench.server.app.services.db, jobId), prisma.metricPoint.count({ where: { jobId } })]);

    const ceiling = await storageCeiling(bench.server.app.services.db, jobId);
    log(
      `  storage alone (insertLogBatch of 20,000-line batches, no pipeline): ${fmt(ceiling.linesPerSecond, 0)} lines/s; CPU a line: ${ceiling.serverMicrosecondsPerLine} µs in this process${ceiling.databaseMicrosecondsPerLine === null ? '' : `, ${ceiling.databaseMicrosecondsPerLine} µs in PostgreSQL's processes`}`,
    );
    const floor = await deliveryFloor();

    await runBaseline(2);
    const baselineMs = median(baselineRuns.map((r) => r.ms));
    const baselineRate = LINES / (baselineMs / 1000);
    log(`  baseline (pipe → bare line counter): ${fmt(baselineRate, 0)} lines/s (${fmt(baselineMs, 0)} ms, median of ${baselineRuns.length} runs)`);

    const deliveredMs = report.lastAt - t0;
    const rate = LINES / (deliveredMs / 1000);
    const ratio = rate / baselineRate;
    log(`  delivery alone (the same child's stdout, split and sent by a bare ws server as LogBatch JSON to the same subscriber; no parsing, no storage): ${fmt(floor.linesPerSecond, 0)} lines/s = ${fmt(floor.linesPerSecond / baselineRate, 3)}× the bare pipe (broadcaster ${floor.serverMicrosecondsPerLine} µs, subscriber ${floor.subscriberMicrosecondsPerLine} µs CPU a line)${floor.complete ? '' : '; INCOMPLETE'}`);
    const ok = delivery.complete === 1 && status === 'SUCCEEDED' && persistedLines === LINES;
    // What the goal leaves: every core busy for the whole run at 0.5× the baseline's rate, for every process involved.
    const budget = round((availableParallelism() * 1e6) / (GOAL_RATIO * baselineRate), 2);
    const perLine = (ms: number) => round((ms * 1000) / LINES, 2);
    const bareDeliveryCpu = round(floor.serverMicrosecondsPerLine + floor.subscriberMicrosecondsPerLine, 2);
    log(
      `  CPU a line that the goal allows on ${availableParallelism()} cores, all processes together (trainer included): ${budget} µs; the bare delivery alone (broadcaster + subscriber) takes ${bareDeliveryCpu} µs${ceiling.databaseMicrosecondsPerLine === null ? '' : `, PostgreSQL's processes for the storage alone ${ceiling.databaseMicrosecondsPerLine} µs`}, this pipeline's server + subscriber ${round(perLine(serverCpuMs) + perLine(report.cpuMs), 2)} µs`,
    );
    log(`  pipeline (job → graphql-ws subscriber): ${fmt(rate, 0)} lines/s (${fmt(deliveredMs, 0)} ms to the last line at the subscriber)`);
    log(`  job ${status}; all persisted after ${fmt(tEnded - t0, 0)} ms (${fmt(persistedLines, 0)} lines, ${fmt(persistedMetrics, 0)} metric points in the database)`);
    log(`  subscriber: ${fmt(delivery.lines, 0)} lines in ${fmt(delivery.messages, 0)} messages; gaps ${delivery.gaps}, duplicates ${delivery.duplicates}, text/seq mismatches ${delivery.outOfOrder}${delivery.errors.length ? `; errors: ${delivery.errors.join('; ')}` : ''}`);
    log(`  CPU per line: server ${perLine(serverCpuMs)} µs (until the job ended), subscriber ${perLine(report.cpuMs)} µs; ${fmt(((serverCpuMs + report.cpuMs) / (tEnded - t0)) * 100, 0)}% of one core together`);
    log(
      `  server RSS: ${memory.startMB} MB before, peak ${memory.peakMB} MB (+${memory.growthMB} MB; V8 heap used ${memory.heapUsedMB.start} → ${memory.heapUsedMB.atPeak} MB of ${memory.heapTotalMB.start} → ${memory.heapTotalMB.atPeak} MB held, external ${memory.externalMB.start} → ${memory.externalMB.atPeak} MB), ${memory.afterGcMB} MB after a full GC (+${memory.retainedAfterGcMB} MB)`,
    );
    if (!ok) log('  DELIVERY CHECK FAILED: the subscriber did not get exactly lines 1..N, or the job did not succeed / persist every line');
    return newResult(
      'logs-throughput',
      [
        { label: 'lines/s, pipeline / bare pipe + line counter', ratio: round(ratio, 3), goal: `≥ ${GOAL_RATIO}×`, pass: ok && ratio >= GOAL_RATIO },
        { label: 'server RSS growth (MB, not a ratio)', ratio: memory.growthMB, goal: `≤ ${GOAL_RSS_MB} MB`, pass: memory.growthMB <= GOAL_RSS_MB },
        { label: 'lines 1..N exactly once, in order (1 = yes)', ratio: ok ? 1 : 0, goal: '= 1', pass: ok },
      ],
      {
        lines: LINES,
        baseline: { linesPerSecond: round(baselineRate, 0), runsMs: baselineRuns.map((r) => round(r.ms, 1)) },
        pipeline: {
          linesPerSecond: round(rate, 0),
          toLastLineAtSubscriberMs: round(deliveredMs, 0),
          subscriberReportedAfterMs: round(tDelivered - t0, 0),
          toJobEndedMs: round(tEnded - t0, 0),
          persistedLinesPerSecond: round(LINES / ((tEnded - t0) / 1000), 0),
          status,
          persistedLines,
          persistedMetrics,
        },
        delivery,
        cpuMicrosecondsPerLine: { server: perLine(serverCpuMs), subscriber: perLine(report.cpuMs) },
        serverRss: memory,
        storageCeiling: ceiling,
        cpuBudgetAtGoal: { cores: availableParallelism(), microsecondsPerLine: budget, bareDeliveryMicrosecondsPerLine: bareDeliveryCpu },
        deliveryFloor: { ...floor, ratioToBaseline: round(floor.linesPerSecond / baselineRate, 3), pipelineRatioToFloor: round(rate / floor.linesPerSecond, 3) },
      },
    );
  } finally {
    subscriber.kill();
    await bench.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, run);
