// Job start: `startJob` (GraphQL over HTTP) to the first line at a graphql-ws subscriber, against spawning the
// same command directly and reading its first stdout line. Medians of interleaved iterations. Goal (issue 3): ≤ 1.5×.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { collectSubscription } from '../server/test/support/test-server.ts';
import { child, fmt, log, newResult, round, runIfMain, startBenchServer, startJob, summarize, trainCmd, waitForJobEnd, type BenchResult } from './lib/common.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20);
const WARMUP = 3;
const GOAL = 1.5;
const COMMAND = [process.execPath, child('first-line.mjs')];
const LAUNCHER = fileURLToPath(new URL('../server/src/jobs/launcher.sh', import.meta.url));

/** Spawns `argv` with a stdout pipe; ms from spawn to the first complete line. */
function firstLine(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = false;
    proc.stdout.on('data', (chunk: Buffer) => {
      if (!seen && chunk.includes(10)) {
        seen = true;
        resolve(performance.now() - t0);
      }
    });
    proc.on('error', reject);
    proc.on('close', () => seen || reject(new Error(`${argv.join(' ')} printed no line`)));
  });
}

export async function run(): Promise<BenchResult> {
  log(`job-start: ${ITERATIONS} iterations (+${WARMUP} warm-up) of each, interleaved`);
  const bench = await startBenchServer({ ANANA_TRAIN_CMD: trainCmd('first-line.mjs') });
  const scratch = mkdtempSync(path.join(tmpdir(), 'anana-bench-'));
  // One connection for the whole run, opened up front, like a console that is already open.
  const client = createClient({ url: bench.wsUrl, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, keepAlive: 0 });
  await new Promise<void>((resolve, reject) => {
    client.on('connected', () => resolve());
    client.on('error', reject);
  });
  const samples = { pipeline: [] as number[], mutation: [] as number[], queuedToClaimed: [] as number[], direct: [] as number[], launcher: [] as number[] };
  try {
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      const measured = i >= WARMUP;
      // 1. The product: startJob, then subscribe, until the first line arrives.
      const t0 = performance.now();
      const jobId = await startJob(bench.server);
      const tMutation = performance.now();
      await collectSubscription<{ jobLogs: { lines: unknown[] } }>(
        client,
        'subscription($id: ID!) { jobLogs(jobId: $id) { lastSeq done lines { seq stream level text time } } }',
        { id: jobId },
        (items) => items.some((b) => b.jobLogs.lines.length > 0),
        30_000,
      );
      const t1 = performance.now();
      await waitForJobEnd(bench.server, jobId);
      const job = await bench.server.app.services.db.prisma.job.findUniqueOrThrow({ where: { id: jobId }, select: { createdAt: true, startedAt: true } });
      // 2. The baseline: the same command, spawned directly.
      const direct = await firstLine(COMMAND);
      // 3. For the breakdown: the same command under the server's launcher (a POSIX sh in between).
      const launcher = await firstLine(['/bin/sh', LAUNCHER, path.join(scratch, `exit-${i}.json`), ...COMMAND]);
      if (measured) {
        samples.pipeline.push(t1 - t0);
        samples.mutation.push(tMutation - t0);
        samples.queuedToClaimed.push((job.startedAt as Date).getTime() - job.createdAt.getTime());
        samples.direct.push(direct);
        samples.launcher.push(launcher);
      }
    }
  } finally {
    await client.dispose();
    await bench.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  const stats = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)])) as Record<keyof typeof samples, ReturnType<typeof summarize>>;
  const ratio = stats.pipeline.p50 / stats.direct.p50;
  log(`  startJob → first line at subscriber: median ${fmt(stats.pipeline.p50)} ms (p95 ${fmt(stats.pipeline.p95)}; of which the startJob mutation ${fmt(stats.mutation.p50)} ms)`);
  log(`  of which queued → claimed by the dispatcher (createdAt → startedAt): median ${fmt(stats.queuedToClaimed.p50)} ms`);
  log(`  spawn → first stdout line (direct):  median ${fmt(stats.direct.p50)} ms (p95 ${fmt(stats.direct.p95)})`);
  log(`  same under the job launcher:         median ${fmt(stats.launcher.p50)} ms`);
  const ms = (s: ReturnType<typeof summarize>) => ({ p50: round(s.p50, 2), p95: round(s.p95, 2), min: round(s.min, 2), max: round(s.max, 2) });
  return newResult('job-start', [{ label: 'startJob→first line / direct spawn→first line (medians)', ratio: round(ratio, 2), goal: `≤ ${GOAL}×`, pass: ratio <= GOAL }], {
    iterations: ITERATIONS,
    pipelineMs: ms(stats.pipeline),
    startJobMutationMs: ms(stats.mutation),
    queuedToClaimedMs: ms(stats.queuedToClaimed),
    directSpawnMs: ms(stats.direct),
    underLauncherMs: ms(stats.launcher),
  });
}

runIfMain(import.meta.url, run);
