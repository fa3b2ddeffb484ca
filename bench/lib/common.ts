// Shared helpers of the benchmarks: the server under test, statistics, child processes, result files.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { tuneGarbageCollector } from '../../server/src/gc-tuning.ts';
import { logTopic } from '../../server/src/logs/log-record.ts';
import { startTestServer, type TestServer } from '../../server/test/support/test-server.ts';

export const BENCH_DIR = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
export const PROJECT_ROOT = path.resolve(BENCH_DIR, '..');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
export const CHILDREN_DIR = path.join(BENCH_DIR, 'children');
export const child = (name: string) => path.join(CHILDREN_DIR, name);

/** One comparison against a goal; `ratio` is always "ours / baseline" (or the reverse, see `higherIsBetter`). */
export interface Verdict {
  /** What is compared, e.g. "lines/s vs bare pipe". */
  label: string;
  ratio: number;
  /** Human-readable goal, e.g. "≥ 0.5×". */
  goal: string;
  /** null: reported for information, no goal. */
  pass: boolean | null;
}

export interface BenchResult {
  name: string;
  date: string;
  machine: ReturnType<typeof machineInfo>;
  storage: string;
  verdicts: Verdict[];
  /** Every number measured, for the JSON file. */
  details: Record<string, unknown>;
}

export function machineInfo() {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    /** Other work on the machine skews absolute numbers (ratios less so): the 1-minute load at the end. */
    loadAverage1m: round(loadavg()[0], 2),
  };
}

export const storageName = () => (process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL, scratch database)' : 'embedded PGlite (results dir under the OS temp dir)');

// ---------------------------------------------------------------- statistics

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function summarize(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1);
  return { n: sorted.length, min: sorted[0], p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) as number, mean };
}

export const median = (values: number[]) => summarize(values).p50;

export const round = (n: number, digits = 2) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);
export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }) : String(n));
export const mb = (bytes: number) => bytes / 2 ** 20;
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Wall clock with sub-millisecond resolution, comparable across processes of this machine. */
export const wallNow = () => performance.timeOrigin + performance.now();

export function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

// ---------------------------------------------------------------- the server under test

export interface BenchServer {
  server: TestServer;
  /** ws:// URL of the GraphQL endpoint. */
  wsUrl: string;
  close(): Promise<void>;
}

/**
 * A real server on a free loopback port: embedded PGlite in a temp results directory by default, or, with
 * DATABASE_URL set, a scratch database created on that PostgreSQL server (dropped afterwards).
 */
export async function startBenchServer(env: Record<string, string> = {}): Promise<BenchServer> {
  let databaseUrl: string | undefined;
  let drop: (() => Promise<void>) | undefined;
  if (process.env.DATABASE_URL) ({ url: databaseUrl, drop } = await scratchDatabase(process.env.DATABASE_URL));
  const server = await startTestServer({ env: { ANANA_MAX_CONCURRENT_JOBS: '4', ...env }, databaseUrl });
  // The server is hosted in this process: give it the heap setting server/src/main.ts gives the real one.
  tuneGarbageCollector(server.config.heapGrowingPercent);
  return {
    server,
    wsUrl: `${server.url.replace('http', 'ws')}/graphql`,
    async close() {
      await server.close();
      await drop?.();
    },
  };
}

export async function scratchDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `anana_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    // Never fall back to the database itself: the benchmarks write 100,000 trials and millions of log lines.
    throw new Error(`the benchmarks run in a scratch database on the DATABASE_URL server, and creating one failed (${(error as Error).message}); use a role with CREATEDB`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** The argv prefix a job runs: a bench child script under `bench/children/` with its own arguments first. */
export const trainCmd = (script: string, ...args: (string | number)[]) => JSON.stringify([process.execPath, child(script), ...args.map(String)]);

/** Requests retried after a reset connection (a keep-alive race); reported with the results. */
export const httpRetries = { count: 0 };

/** One GraphQL request over HTTP; a request whose connection was reset before any answer is sent again once. */
export async function gql<T = any>(server: TestServer, query: string, variables?: Record<string, unknown>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await server.gql<T>(query, variables);
      if (res.errors || !res.data) throw Object.assign(new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`), { graphql: true });
      return res.data;
    } catch (error) {
      if ((error as { graphql?: boolean }).graphql || attempt > 0) throw error;
      httpRetries.count++;
    }
  }
}

export async function startJob(server: TestServer): Promise<string> {
  const res = await server.gql<{ startJob: { id: string } }>('mutation { startJob(input: { trials: 1 }) { id } }');
  if (res.errors || !res.data) throw new Error(`startJob failed: ${JSON.stringify(res.errors)}`);
  return res.data.startJob.id;
}

/** Waits until `count` subscribers of the job's logs are registered on the server's event bus. */
export async function waitForLogSubscribers(server: TestServer, jobId: string, count: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (server.app.services.events.listenerCount(logTopic(jobId)) < count) {
    if (Date.now() > deadline) throw new Error(`only ${server.app.services.events.listenerCount(logTopic(jobId))} of ${count} subscribers registered`);
    await sleep(5);
  }
}

/**
 * Waits until this process's event loop (the server's) has answered within `maxLagMs` for `forMs` in a row,
 * e.g. until a thousand new subscriptions have finished reading their (empty) history. Gives up after `timeoutMs`.
 */
export async function waitForQuietLoop(maxLagMs = 20, forMs = 500, timeoutMs = 60_000): Promise<number> {
  const t0 = performance.now();
  let quietSince = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    const before = performance.now();
    await sleep(1);
    const lag = performance.now() - before - 1;
    if (lag > maxLagMs) quietSince = performance.now();
    else if (performance.now() - quietSince >= forMs) break;
  }
  return performance.now() - t0;
}

/**
 * CPU use (%) of some processes, one sample per `everyMs`, taken from /proc by a child process of its own, so
 * that sampling goes on while the watched processes (this one included) are saturated. Linux only.
 */
export function cpuTimeline(pids: Record<string, number>, everyMs = 1000) {
  const proc = spawn(process.execPath, [child('cpu-sampler.mjs'), String(everyMs), ...Object.entries(pids).map(([k, pid]) => `${k}=${pid}`)], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  return {
    stop(): Record<string, number>[] {
      proc.kill();
      return out
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, number>);
    },
  };
}

/** Counts what the job's log pipeline publishes on the in-process bus (live batches): a diagnostic. */
export function countLogEvents(server: TestServer, jobId: string) {
  const counts = { batches: 0, lines: 0, firstAt: 0, lastAt: 0 };
  const unsubscribe = server.app.services.events.subscribe(logTopic(jobId), (message) => {
    const event = message.payload as { type: string; lines?: unknown[] };
    if (event.type !== 'batch') return;
    counts.batches++;
    counts.lines += event.lines?.length ?? 0;
    counts.lastAt = performance.now();
    if (!counts.firstAt) counts.firstAt = counts.lastAt;
  });
  return {
    stop() {
      unsubscribe();
      const seconds = (counts.lastAt - counts.firstAt) / 1000;
      return { batches: counts.batches, lines: counts.lines, batchesPerSecond: round(counts.batches / seconds, 0), linesPerBatch: round(counts.lines / counts.batches, 1) };
    },
  };
}

export async function waitForJobEnd(server: TestServer, jobId: string, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await server.gql<{ job: { status: string } }>('query($id: ID!) { job(id: $id) { status } }', { id: jobId });
    const status = res.data?.job.status;
    if (status && !['QUEUED', 'RUNNING'].includes(status)) return status;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${status} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------- child processes

/** Runs a node script to completion and returns its last stdout line parsed as JSON. */
export function runNodeJson<T>(args: string[], options: { timeoutMs?: number; tsx?: boolean } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...(options.tsx ? ['--import', 'tsx'] : []), ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs ?? 180_000);
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').at(-1) ?? '';
      try {
        if (code !== 0) throw new Error(`exited with ${code ?? signal}`);
        resolve(JSON.parse(last) as T);
      } catch (error) {
        reject(new Error(`${args.join(' ')}: ${(error as Error).message}; output: ${out.slice(-500)}`));
      }
    });
  });
}

/** Parameters of the subscriber child (bench/lib/subscriber.ts). */
export interface SubscriberOptions {
  mode: 'graphql-ws' | 'bare';
  url: string;
  clients: number;
  /** Lines each client expects (1..expected, in order). */
  expected: number;
  /** Lines carry a wall-clock timestamp (ms) as their second word: record latencies. */
  latency?: boolean;
  /** Keep every k-th latency sample per client (memory bound with many clients). */
  sampleEvery?: number;
  timeoutMs: number;
}

export interface SubscriberReport {
  clients: number;
  connectedMs: number;
  perClient: { lines: number; gaps: number; duplicates: number; outOfOrder: number; messages: number; done: boolean; firstAt: number; lastAt: number; errors: string[] }[];
  /** Latency quantiles in ms (index q = q/1000), empty unless `latency` was asked for. */
  latencies: number[];
  firstAt: number;
  lastAt: number;
  /** CPU time (user + system) the subscriber process spent from `go` to its report. */
  cpuMs: number;
}

/**
 * A child process holding `clients` WebSocket clients. It says `ready` once every client is connected
 * (graphql-ws: connection acknowledged), waits for `go` with the job id, and reports when every client has
 * its lines (or the timeout).
 */
export class SubscriberProcess {
  readonly proc: ChildProcess;
  readonly #ready: Promise<void>;
  readonly #report: Promise<SubscriberReport>;

  constructor(options: SubscriberOptions) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', '--max-old-space-size=4096', path.join(BENCH_DIR, 'lib', 'subscriber.ts'), JSON.stringify(options)], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let onReady: () => void;
    let onReport: (r: SubscriberReport) => void;
    let onError: (e: Error) => void;
    this.#ready = new Promise((resolve, reject) => {
      onReady = resolve;
      onError = reject;
    });
    this.#report = new Promise((resolve, reject) => {
      onReport = resolve;
      const prev = onError;
      onError = (e) => {
        prev(e);
        reject(e);
      };
    });
    this.#report.catch(() => {});
    this.#ready.catch(() => {});
    this.proc.on('message', (message: { type: string; report?: SubscriberReport; error?: string }) => {
      if (message.type === 'ready') onReady();
      else if (message.type === 'report') onReport(message.report as SubscriberReport);
      else if (message.type === 'error') onError(new Error(message.error));
    });
    this.proc.on('exit', (code) => onError(new Error(`subscriber process exited with ${code}`)));
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  /** Starts the subscriptions (graphql-ws) on the job; the bare mode ignores the id. */
  go(jobId = ''): void {
    this.proc.send({ type: 'go', jobId });
  }

  report(): Promise<SubscriberReport> {
    return this.#report;
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

/** Percentile p (0..100) from the 1,001 quantiles a subscriber process reports. */
export function fromQuantiles(quantiles: number[], p: number): number {
  if (!quantiles.length) return Number.NaN;
  return quantiles[Math.round(p * 10)];
}

/** Folds the per-client counts into totals: every client must have every line, in order, once. */
export function checkDelivery(report: SubscriberReport, expected: number) {
  let complete = 0;
  let gaps = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let messages = 0;
  let lines = 0;
  const errors = new Set<string>();
  for (const c of report.perClient) {
    if (c.lines === expected && c.gaps === 0 && c.duplicates === 0 && c.outOfOrder === 0) complete++;
    gaps += c.gaps;
    duplicates += c.duplicates;
    outOfOrder += c.outOfOrder;
    messages += c.messages;
    lines += c.lines;
    for (const e of c.errors) errors.add(e);
  }
  return { clients: report.perClient.length, complete, lines, messages, gaps, duplicates, outOfOrder, errors: [...errors].slice(0, 5) };
}

// ---------------------------------------------------------------- RSS sampling

/** A full garbage collection, without needing `--expose-gc` on the command line. */
export const collectGarbage: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/**
 * Full collections with a turn of the event loop between them, until the RSS stops falling: memory freed
 * only once a pending callback has run (the database's start-up holds a few hundred MB of WebAssembly
 * memory until then) is gone before a baseline is taken.
 */
export async function settleMemory(): Promise<NodeJS.MemoryUsage> {
  let last = Infinity;
  for (let i = 0; i < 5; i++) {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { rss } = process.memoryUsage();
    if (rss > last * 0.99) break;
    last = rss;
  }
  collectGarbage();
  return process.memoryUsage();
}

/**
 * Samples this process's RSS (the server runs in it) every `everyMs` until stopped, from a settled start
 * ({@link settleMemory}); also the V8 heap and external memory at the peak, and the RSS after a full GC at the
 * end (what stays, not only what passed).
 */
export async function rssSampler(everyMs = 100) {
  const first = await settleMemory();
  let peak = first;
  const timer = setInterval(() => {
    const now = process.memoryUsage();
    if (now.rss > peak.rss) peak = now;
  }, everyMs);
  return {
    start: first.rss,
    stop() {
      clearInterval(timer);
      const end = process.memoryUsage();
      if (end.rss > peak.rss) peak = end;
      collectGarbage();
      const afterGc = process.memoryUsage();
      return {
        startMB: round(mb(first.rss), 1),
        peakMB: round(mb(peak.rss), 1),
        growthMB: round(mb(peak.rss - first.rss), 1),
        afterGcMB: round(mb(afterGc.rss), 1),
        retainedAfterGcMB: round(mb(afterGc.rss - first.rss), 1),
        heapUsedMB: { start: round(mb(first.heapUsed), 1), atPeak: round(mb(peak.heapUsed), 1), afterGc: round(mb(afterGc.heapUsed), 1) },
        externalMB: { start: round(mb(first.external), 1), atPeak: round(mb(peak.external), 1), afterGc: round(mb(afterGc.external), 1) },
        /** What V8 holds for its heap (used or not): RSS growth that is V8 keeping pages rather than live objects. */
        heapTotalMB: { start: round(mb(first.heapTotal), 1), atPeak: round(mb(peak.heapTotal), 1), afterGc: round(mb(afterGc.heapTotal), 1) },
      };
    },
  };
}

// ---------------------------------------------------------------- results

export function saveResult(result: BenchResult): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${result.name}.${process.env.DATABASE_URL ? 'postgres' : 'embedded'}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export function printVerdicts(result: BenchResult): void {
  log(`\n== ${result.name}: ${result.storage}`);
  for (const v of result.verdicts) log(`   ${v.pass === null ? 'INFO' : v.pass ? 'PASS' : 'MISS'}  ${v.label}: ${fmt(v.ratio, 2)}  (goal ${v.goal})`);
}

export function newResult(name: string, verdicts: Verdict[], details: Record<string, unknown>): BenchResult {
  return { name, date: new Date().toISOString(), machine: machineInfo(), storage: storageName(), verdicts, details };
}

/** Runs a benchmark when its file is executed directly: prints its verdicts and saves its JSON. */
export function runIfMain(metaUrl: string, bench: () => Promise<BenchResult>): void {
  if (!process.argv[1] || pathToFileURL(path.resolve(process.argv[1])).href !== metaUrl) return;
  const hardStop = setTimeout(() => {
    console.error('benchmark exceeded its 6-minute bound; exiting');
    process.exit(2);
  }, 6 * 60_000);
  hardStop.unref();
  bench()
    .then((result) => {
      printVerdicts(result);
      log(`   saved ${path.relative(PROJECT_ROOT, saveResult(result))}`);
      // The runner (bench/run.ts) names a file of its own to read the result from.
      if (process.env.BENCH_RESULT_FILE) writeFileSync(process.env.BENCH_RESULT_FILE, JSON.stringify(result));
      // Anything a failed run left behind (a subscription, a timer) must not keep the process alive.
      setTimeout(() => process.exit(0), 200).unref();
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
