// Scale-out on one PostgreSQL, with real server processes on different ports (issue 8):
// 1. 1,000 quick jobs queued through 3 replicas at once: each must run exactly once (every run appends its job id
//    to a shared file), none lost; the queue wait p50/p99 and jobs/s.
// 2. Dispatch latency (queued → claimed, from the database's own timestamps) of jobs started one at a time on an
//    idle queue, with 3 replicas competing for each job, against the same with one replica: the ratio.
// 3. A job run by replica A writing 1,000 time-stamped lines/s for 10 s: a subscriber on replica C and one on
//    replica A (the single-process path) count gaps and duplicates (0) and measure latency: the p99 ratio C / A.
// 4. kill -9 of a worker (and its job) mid-job, 3 times: the time until a replica marks the job LOST, against the
//    configured window (heartbeat timeout + one heartbeat interval).
// PostgreSQL: DATABASE_URL, or the local server at 127.0.0.1:5432; a scratch database, dropped afterwards.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, startServerProcess, type ServerProcess } from '../../server/test/support/server-process.ts';
import { waitFor } from '../../server/test/support/test-server.ts';
import { checkDelivery, child, fmt, fromQuantiles, log, newResult, PROJECT_ROOT, round, runIfMain, scratchDatabase, sleep, SubscriberProcess, summarize, type BenchResult, type Verdict } from '../lib/common.ts';

process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
const JOBS = Number(process.env.BENCH_JOBS ?? 1_000);
const IDLE_JOBS = Number(process.env.BENCH_IDLE_JOBS ?? 30);
const RATE = Number(process.env.BENCH_RATE ?? 1_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const KILLS = Number(process.env.BENCH_KILLS ?? 3);
const HEARTBEAT_MS = 500;
const HEARTBEAT_TIMEOUT_MS = 4_000;
const SUBMIT_CONCURRENCY = 6;

async function mustGql<T = any>(server: ServerProcess, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await server.gql<T>(query, variables);
  if (res.errors || !res.data) throw new Error(`${query.slice(0, 60)}: ${JSON.stringify(res.errors)}`);
  return res.data;
}

const startJob = async (server: ServerProcess, flavor = 'cpu') => (await mustGql(server, 'mutation($f: String) { startJob(input: { trials: 1, flavor: $f }) { id } }', { f: flavor })).startJob.id as string;

export async function run(): Promise<BenchResult> {
  log(`scale/replicas: ${fmt(JOBS, 0)} jobs through 3 replicas; ${IDLE_JOBS} idle dispatches; ${fmt(RATE, 0)} lines/s across replicas; ${KILLS} worker kills`);
  const scratch = mkdtempSync(path.join(tmpdir(), 'anana-bench-scale-'));
  const runsFile = path.join(scratch, 'runs.txt');
  const goFile = path.join(scratch, 'go');
  writeFileSync(runsFile, '');
  const db = await scratchDatabase(process.env.DATABASE_URL as string);
  const sql = new pg.Pool({ connectionString: db.url, max: 2 });
  const trainCmd = JSON.stringify(['sh', child('scale-trainer.sh'), runsFile, String(RATE), String(SECONDS), goFile]);
  const common = { ANANA_TRAIN_CMD: trainCmd, ANANA_HEARTBEAT_MS: String(HEARTBEAT_MS), ANANA_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS), ANANA_MAX_CONCURRENT_JOBS: '3' };
  const replicas: ServerProcess[] = [];
  const workers: { pid: number; kill: () => void }[] = [];
  try {
    for (const [i, flavors] of ['cpu,stream', 'cpu', 'cpu'].entries()) {
      replicas.push(await startServerProcess({ resultsDir: path.join(scratch, 'results'), databaseUrl: db.url, env: { ...common, ANANA_INSTANCE_ID: `replica-${i}`, ANANA_WORKER_FLAVORS: flavors } }));
    }
    const [a] = replicas;

    // 1. Exactly once, nothing lost.
    const t0 = performance.now();
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: SUBMIT_CONCURRENCY }, async () => {
        while (next < JOBS) {
          const i = next++;
          ids.push(await startJob(replicas[i % replicas.length]));
        }
      }),
    );
    const submittedMs = performance.now() - t0;
    await waitFor(async () => {
      const { rows } = await sql.query(`SELECT count(*)::int AS n FROM "Job" WHERE status IN ('QUEUED', 'RUNNING')`);
      return rows[0].n === 0;
    }, 300_000, 'every job to end');
    const allDoneMs = performance.now() - t0;
    const { rows: jobs } = await sql.query(
      `SELECT id, status, attempt, "ownerId", extract(epoch FROM ("startedAt" - "createdAt")) * 1000 AS wait FROM "Job" WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    const runs = new Map<string, number>();
    for (const id of readFileSync(runsFile, 'utf8').split('\n').filter(Boolean)) runs.set(id, (runs.get(id) ?? 0) + 1);
    const ranTwice = [...runs.values()].filter((n) => n > 1).length;
    const neverRan = ids.filter((id) => !runs.has(id)).length;
    const notSucceeded = jobs.filter((j) => j.status !== 'SUCCEEDED' || j.attempt !== 1).length;
    const owners: Record<string, number> = {};
    for (const j of jobs) owners[j.ownerId] = (owners[j.ownerId] ?? 0) + 1;
    const wait = summarize(jobs.map((j) => Number(j.wait)));
    log(`  ${fmt(JOBS, 0)} jobs: submitted in ${fmt(submittedMs / 1000)} s, all ended after ${fmt(allDoneMs / 1000)} s (${fmt(JOBS / (allDoneMs / 1000))} jobs/s)`);
    log(`  ran twice ${ranTwice}, never ran ${neverRan}, not SUCCEEDED on attempt 1: ${notSucceeded}; owners ${JSON.stringify(owners)}`);
    log(`  queue wait (created → claimed) under that load: p50 ${fmt(wait.p50)} ms, p99 ${fmt(wait.p99)} ms`);

    // 2. Dispatch latency on an idle queue: 3 replicas competing, then one.
    const idleDispatch = async (via: ServerProcess[]) => {
      const samples: number[] = [];
      for (let i = 0; i < IDLE_JOBS; i++) {
        const id = await startJob(via[i % via.length]);
        const row = await waitFor(async () => {
          const { rows } = await sql.query(`SELECT status, extract(epoch FROM ("startedAt" - "createdAt")) * 1000 AS latency FROM "Job" WHERE id = $1`, [id]);
          return rows[0] && !['QUEUED', 'RUNNING'].includes(rows[0].status) ? rows[0] : undefined;
        }, 30_000, 'the job to end');
        samples.push(Number(row.latency));
      }
      return summarize(samples);
    };
    const idle3 = await idleDispatch(replicas);
    const onlyOne = replicas.splice(1);
    for (const r of onlyOne) await r.stop();
    const idle1 = await idleDispatch([a]);
    for (const [i, flavors] of [[1, 'cpu'], [2, 'cpu']] as const) {
      replicas.push(await startServerProcess({ resultsDir: path.join(scratch, 'results'), databaseUrl: db.url, env: { ...common, ANANA_INSTANCE_ID: `replica-${i}b`, ANANA_WORKER_FLAVORS: flavors } }));
    }
    const replicaC = replicas[2];
    log(`  idle dispatch latency: 3 replicas p50 ${fmt(idle3.p50)} / p99 ${fmt(idle3.p99)} ms; 1 replica p50 ${fmt(idle1.p50)} / p99 ${fmt(idle1.p99)} ms`);

    // 3. A job on replica A, subscribers on C (cross-replica) and on A (single process).
    const total = RATE * SECONDS;
    const wsUrl = (r: ServerProcess) => `${r.url.replace('http', 'ws')}/graphql`;
    const cross = new SubscriberProcess({ mode: 'graphql-ws', url: wsUrl(replicaC), clients: 1, expected: total, latency: true, timeoutMs: SECONDS * 1000 + 60_000 });
    const local = new SubscriberProcess({ mode: 'graphql-ws', url: wsUrl(a), clients: 1, expected: total, latency: true, timeoutMs: SECONDS * 1000 + 60_000 });
    let crossReport;
    let localReport;
    try {
      await Promise.all([cross.ready(), local.ready()]);
      const streamId = await startJob(replicaC, 'stream');
      cross.go(streamId);
      local.go(streamId);
      const owner = await waitFor(async () => {
        const { rows } = await sql.query(`SELECT "ownerId", status FROM "Job" WHERE id = $1`, [streamId]);
        return rows[0]?.status === 'RUNNING' ? rows[0].ownerId : undefined;
      }, 20_000, 'replica A to run the stream job');
      if (owner !== 'replica-0') throw new Error(`the stream job ran on ${owner}, not replica A`);
      // The subscriptions have read their (empty) history by now: the lines are measured live.
      await sleep(1_500);
      writeFileSync(goFile, '');
      [crossReport, localReport] = await Promise.all([cross.report(), local.report()]);
    } finally {
      cross.kill();
      local.kill();
    }
    const crossDelivery = checkDelivery(crossReport, total);
    const localDelivery = checkDelivery(localReport, total);
    const q = (report: typeof crossReport, p: number) => fromQuantiles(report.latencies, p);
    log(`  cross-replica subscriber (C): ${fmt(crossDelivery.lines, 0)} lines, gaps ${crossDelivery.gaps}, duplicates ${crossDelivery.duplicates}; p50 ${fmt(q(crossReport, 50), 2)} ms, p99 ${fmt(q(crossReport, 99), 2)} ms`);
    log(`  same-replica subscriber (A):  ${fmt(localDelivery.lines, 0)} lines, gaps ${localDelivery.gaps}, duplicates ${localDelivery.duplicates}; p50 ${fmt(q(localReport, 50), 2)} ms, p99 ${fmt(q(localReport, 99), 2)} ms`);

    // 4. kill -9 of a worker mid-job.
    const detections: number[] = [];
    const reasons: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      const port = await freePort();
      const worker = execa(process.execPath, ['--import', 'tsx', 'server/src/main.ts', '--worker'], {
        cwd: PROJECT_ROOT,
        detached: true,
        reject: false,
        stdio: 'ignore',
        env: { ...common, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: db.url, ANANA_RESULTS_DIR: path.join(scratch, 'results'), ANANA_WORKER_FLAVORS: 'gpu', ANANA_HOSTNAME: 'bench-worker', ANANA_INSTANCE_ID: `worker-${k}`, ANANA_LOG_LEVEL: 'error' },
      });
      const kill = () => {
        try {
          process.kill(-(worker.pid as number), 'SIGKILL');
        } catch {
          // gone
        }
      };
      workers.push({ pid: worker.pid as number, kill });
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, 60_000, 'the worker to be healthy');
      const id = await startJob(a, 'gpu');
      const running = await waitFor(async () => {
        const { rows } = await sql.query(`SELECT status, pid, host FROM "Job" WHERE id = $1`, [id]);
        return rows[0]?.status === 'RUNNING' && rows[0].pid ? rows[0] : undefined;
      }, 20_000, 'the worker to run the job');
      if (running.host !== 'bench-worker') throw new Error(`the gpu job ran on ${running.host}`);
      kill();
      process.kill(-running.pid, 'SIGKILL');
      const killedAt = Date.now();
      const lost = await waitFor(async () => {
        const { rows } = await sql.query(`SELECT status, error FROM "Job" WHERE id = $1`, [id]);
        return rows[0]?.status === 'LOST' ? rows[0] : undefined;
      }, 60_000, 'the job to be marked LOST');
      detections.push(Date.now() - killedAt);
      reasons.push(lost.error);
      await worker;
    }
    const window = HEARTBEAT_TIMEOUT_MS + HEARTBEAT_MS;
    const detection = summarize(detections);
    log(`  worker kill -9 → job LOST after ${detections.map((d) => fmt(d, 0)).join(', ')} ms (window ${fmt(window, 0)} ms); reason: ${reasons[0]}`);

    const deliveredOk = crossDelivery.complete === 1 && localDelivery.complete === 1;
    const verdicts: Verdict[] = [
      { label: `jobs run twice, of ${JOBS} (count)`, ratio: ranTwice, goal: '0', pass: ranTwice === 0 },
      { label: `jobs lost or not SUCCEEDED, of ${JOBS} (count)`, ratio: neverRan + notSucceeded, goal: '0', pass: neverRan + notSucceeded === 0 },
      { label: 'idle dispatch latency p50, 3 replicas / 1 replica', ratio: round(idle3.p50 / idle1.p50, 2), goal: 'none (information)', pass: null },
      { label: 'idle dispatch latency p99, 3 replicas / 1 replica', ratio: round(idle3.p99 / idle1.p99, 2), goal: 'none (information)', pass: null },
      { label: 'cross-replica subscriber gaps + duplicates (count)', ratio: crossDelivery.gaps + crossDelivery.duplicates + crossDelivery.outOfOrder, goal: '0', pass: deliveredOk && crossDelivery.gaps + crossDelivery.duplicates + crossDelivery.outOfOrder === 0 },
      { label: 'subscriber latency p99, cross-replica / same replica', ratio: round(q(crossReport, 99) / q(localReport, 99), 2), goal: 'none (information)', pass: null },
      { label: 'worker kill -9 → LOST, slowest / heartbeat window', ratio: round(detection.max / window, 2), goal: '≤ 1× (+ one sweep)', pass: detection.max <= window + HEARTBEAT_MS && reasons.every((r) => /stopped heartbeating/.test(r)) },
    ];
    return newResult('scale-replicas', verdicts, {
      jobs: JOBS,
      submittedMs: round(submittedMs, 0),
      allDoneMs: round(allDoneMs, 0),
      jobsPerSecond: round(JOBS / (allDoneMs / 1000), 1),
      ranTwice,
      neverRan,
      notSucceeded,
      owners,
      queueWaitMs: { p50: round(wait.p50, 1), p99: round(wait.p99, 1), max: round(wait.max, 1) },
      idleDispatchMs: { replicas3: { p50: round(idle3.p50, 1), p99: round(idle3.p99, 1) }, replicas1: { p50: round(idle1.p50, 1), p99: round(idle1.p99, 1) } },
      stream: {
        rate: RATE,
        seconds: SECONDS,
        cross: { ...crossDelivery, p50: round(q(crossReport, 50), 2), p99: round(q(crossReport, 99), 2), max: round(q(crossReport, 100), 2) },
        local: { ...localDelivery, p50: round(q(localReport, 50), 2), p99: round(q(localReport, 99), 2), max: round(q(localReport, 100), 2) },
      },
      workerKill: { heartbeatMs: HEARTBEAT_MS, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS, detectionsMs: detections, reason: reasons[0] },
    });
  } finally {
    for (const w of workers) w.kill();
    for (const r of replicas) await r.stop().catch(() => {});
    await sql.end();
    await db.drop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, run);
