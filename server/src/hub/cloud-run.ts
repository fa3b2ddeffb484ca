import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from '../generated/prisma/client.ts';
import type { Services } from '../services.ts';
import { JobLogPipeline } from '../logs/log-pipeline.ts';
import { jobPaths } from '../jobs/job-paths.ts';
import { publishJobUpdated } from '../jobs/job-events.ts';
import type { ExitRecord } from '../jobs/local-run.ts';
import { HubError, isHubSide } from './errors.ts';
import type { CloudJobSettings } from './hub-service.ts';
import { isTerminal, type CloudJobInfo, type CloudJobSpec, type JobsClient } from './jobs-client.ts';

/**
 * How a cloud run ended, in the shape of a local run's outcome (`exited` carries an exit record) plus the state the
 * Hub reported, which a local exit record cannot express (a job cancelled on the Hub is STOPPED, not FAILED).
 */
export type CloudRunOutcome =
  | { kind: 'exited'; status: 'SUCCEEDED' | 'FAILED' | 'STOPPED'; exit: ExitRecord }
  /** The Hub no longer knows the job (deleted, or another account's). */
  | { kind: 'vanished' }
  /** This server let go of the job (shutdown); it keeps running on the Hub for the next server. */
  | { kind: 'detached' };

export interface CloudRunOptions {
  /** Default: the server's client (`services.hub.jobsClient()`). */
  client?: JobsClient;
  /** First wait before re-opening a log stream the client gave up on; doubles up to 30 s (default 1 s). */
  retryDelayMs?: number;
  /** Pull the results from the Hub repo when the job ends (default true). */
  pullResults?: boolean;
}

/** Lines that arrive together (a replay after a reconnect, a burst) enter the pipeline as one batch. */
const BATCH_LINES = 500;
const BATCH_WAIT_MS = 10;

/**
 * What Hugging Face Jobs runs for a job row: the job's own argv (no shell) in the configured image, told where its
 * results belong in the repo (`ANANA_HUB_REPO`, `ANANA_HUB_PATH`) and given `HF_TOKEN` as a secret to push them.
 * The server's Node binary is a path on this machine, so it becomes the image's `node`.
 */
export function cloudJobSpec(job: Pick<Job, 'id' | 'flavor' | 'command' | 'outputDir'>, settings: CloudJobSettings, resultsDir: string): CloudJobSpec {
  const [program, ...args] = job.command;
  const hubPath = job.outputDir ? path.relative(resultsDir, job.outputDir).split(path.sep).join('/') : '';
  return {
    flavor: job.flavor,
    image: settings.image,
    command: [program === process.execPath ? 'node' : program, ...args],
    env: {
      ANANA_JOB_ID: job.id,
      ANANA_HUB_REPO: settings.repo,
      ANANA_HUB_PATH: hubPath.startsWith('..') ? '' : hubPath,
      ANANA_OUTPUT_DIR: job.outputDir ?? '',
      HF_ENDPOINT: settings.hubUrl,
      PYTHONUNBUFFERED: '1',
    },
    secrets: { HF_TOKEN: settings.token },
  };
}

/**
 * One job running on Hugging Face Jobs (executor HF_JOBS), in the role a `LocalRun` has for a subprocess: launch,
 * follow, stop, detach and re-attach. Its log enters the same pipeline as a local job's (stream STDOUT; the Hub
 * merges both streams). Resume rule: the job's `stdoutOffset` counts the cloud log lines delivered, persisted in
 * the same transaction as the lines themselves, so a server restarted at any moment streams on from exactly the
 * next line — no gap, no duplicate.
 */
export class CloudRun {
  readonly pipeline: JobLogPipeline;
  readonly #logsDir: string;
  #externalId: string | null;
  /** Cloud log lines delivered to the pipeline: the index of the next line wanted. */
  #delivered: number;
  readonly #abort = new AbortController();
  #detached = false;
  /** A stop that came before the cloud job existed: the launch cancels it as soon as it has an id. */
  #stopWanted = false;
  #stopping: Promise<void> | undefined;
  #following: Promise<unknown> | undefined;
  #onProgress: (() => Promise<void>) | undefined;

  constructor(
    private readonly services: Services,
    private job: Job,
    private readonly options: CloudRunOptions = {},
  ) {
    const paths = jobPaths(services.config.resultsDir, job.id);
    this.#logsDir = paths.logsDir;
    this.#externalId = job.externalId;
    this.#delivered = Number(job.stdoutOffset);
    this.pipeline = new JobLogPipeline({
      db: services.db,
      events: services.events,
      jobId: job.id,
      logPath: paths.log,
      lastSeq: job.lastSeq,
      logOffset: Number(job.logOffset),
      offsets: { STDOUT: Number(job.stdoutOffset), STDERR: Number(job.stderrOffset) },
    });
  }

  /** The Hugging Face job id, once launched. */
  get externalId(): string | null {
    return this.#externalId;
  }

  /** Called once at the end, after the results were pulled (e.g. to ingest trial files). */
  onProgress(scan: () => Promise<void>): void {
    this.#onProgress = scan;
  }

  #client(): JobsClient {
    return this.options.client ?? this.services.hub.jobsClient();
  }

  /** Starts the cloud job and records its id on the job row; resolves once the Hub accepted it. */
  async launch(): Promise<void> {
    const settings = await this.services.hub.requireCloudJobs();
    await mkdir(this.#logsDir, { recursive: true });
    await this.pipeline.open();
    const spec = cloudJobSpec(this.job, settings, this.services.config.resultsDir);
    const { id } = await this.#client().runCloudJob(spec);
    this.#externalId = id;
    this.job = await this.services.db.prisma.job.update({ where: { id: this.job.id }, data: { externalId: id } });
    this.#system(`Started on Hugging Face Jobs as ${id} (flavor ${spec.flavor}, image ${spec.image})`);
    publishJobUpdated(this.services.events, this.job.id);
    // A stop that arrived while the job was being created found nothing to cancel: it is carried out now.
    if (this.#stopWanted || this.job.stopRequested) {
      void this.stop(0).catch((error) => console.error(`[hub] cancelling cloud job ${id} failed:`, (error as Error).message));
    }
  }

  /** Takes over a cloud job a previous server launched, from the persisted log position. */
  async attach(): Promise<void> {
    if (!this.#externalId) throw new HubError('NOT_FOUND', `job ${this.job.id} has no Hugging Face job id: its server stopped while starting it`);
    await mkdir(this.#logsDir, { recursive: true });
    await this.pipeline.open();
  }

  /**
   * Streams the job's log into the pipeline until the Hub reports it ended, then pulls its results from the repo;
   * returns how it ended. A dropped stream is resumed by the jobs client; one it gives up on is re-opened here after
   * a pause, from the last line delivered, for as long as the job runs.
   */
  async run(): Promise<CloudRunOutcome> {
    const following = this.#follow();
    this.#following = following.catch(() => {});
    const outcome = await following;
    if (outcome.kind === 'detached') return outcome;
    if (outcome.kind === 'exited' && this.options.pullResults !== false) await this.#pullResults();
    await this.pipeline.flush();
    await this.#onProgress?.().catch((error) => console.error(`[hub] trial scan of ${this.job.id} failed:`, error));
    return outcome;
  }

  async #follow(): Promise<CloudRunOutcome> {
    const id = this.#externalId as string;
    const retryDelayMs = this.options.retryDelayMs ?? 1_000;
    let failures = 0;
    while (!this.#detached) {
      try {
        await this.#stream(id);
        failures = 0;
      } catch (error) {
        if (this.#detached) break;
        if ((error as HubError).code === 'NOT_FOUND') return { kind: 'vanished' };
        // Anything not from the Hub (the database failing for good) is the server's problem, not the job's.
        if (!isHubSide(error)) throw error;
        if (failures++ === 0) this.#system(`WARNING: the log stream of ${id} was interrupted (${(error as Error).message}); reconnecting`);
        await sleep(Math.min(30_000, retryDelayMs * 2 ** (failures - 1)), undefined, { signal: this.#abort.signal }).catch(() => {});
        continue;
      }
      if (this.#detached) break;
      // The client ends the stream once the job is over; the job's state says how.
      let info: CloudJobInfo;
      try {
        info = await this.#client().cloudJobStatus(id);
      } catch (error) {
        if ((error as HubError).code === 'NOT_FOUND') return { kind: 'vanished' };
        if (!isHubSide(error)) throw error;
        await sleep(retryDelayMs, undefined, { signal: this.#abort.signal }).catch(() => {});
        continue;
      }
      if (isTerminal(info.status)) return this.#outcome(info);
    }
    return { kind: 'detached' };
  }

  /** One pass of the client's (self-resuming) log stream, from the next line wanted. */
  async #stream(id: string): Promise<void> {
    const connection = new AbortController();
    const onAbort = () => connection.abort();
    this.#abort.signal.addEventListener('abort', onAbort);
    try {
      const lines = this.#client().streamCloudJobLogs(id, { signal: connection.signal, afterIndex: this.#delivered - 1 });
      for await (const batch of inBatches(lines, BATCH_LINES, BATCH_WAIT_MS)) {
        await this.pipeline.waitForCapacity();
        const next = batch[batch.length - 1].index + 1;
        this.pipeline.ingest('STDOUT', batch.map((line) => ({ text: line.text })), next);
        this.#delivered = next;
      }
    } finally {
      this.#abort.signal.removeEventListener('abort', onAbort);
      connection.abort();
    }
  }

  async #outcome(info: CloudJobInfo): Promise<CloudRunOutcome> {
    const finishedAt = new Date().toISOString();
    const detail = `${info.stage}${info.message ? `: ${info.message}` : ''}`;
    if (info.status === 'SUCCEEDED') return { kind: 'exited', status: 'SUCCEEDED', exit: { exitCode: 0, signal: null, finishedAt } };
    if (info.status === 'STOPPED') {
      const row = await this.services.db.prisma.job.findUnique({ where: { id: this.job.id }, select: { stopRequested: true } });
      const error = row?.stopRequested ? 'stopped by request' : `cancelled on Hugging Face (${detail})`;
      return { kind: 'exited', status: 'STOPPED', exit: { exitCode: null, signal: null, error, finishedAt } };
    }
    const code = /exit code:?\s*(-?\d+)/i.exec(info.message ?? '');
    const exitCode = code && Number(code[1]) !== 0 ? Number(code[1]) : null;
    return { kind: 'exited', status: 'FAILED', exit: { exitCode, signal: null, error: `the cloud job failed on Hugging Face (${detail})`, finishedAt } };
  }

  /** The job pushed its results to the repo; a PULL brings them (and its trials, source HUB) here. */
  async #pullResults(): Promise<void> {
    try {
      const report = await this.services.hub.sync('PULL', `cloud job ${this.job.id}`);
      this.#system(`Pulled ${report.downloaded.length} file(s) from ${report.repo}; ${report.ingestedTrials} trial(s) indexed`);
    } catch (error) {
      this.#system(`WARNING: the results of this job were not pulled yet (${(error as Error).message}); the next sync brings them`);
    }
  }

  #system(text: string): void {
    if (!this.pipeline.closed) this.pipeline.ingest('SYSTEM', [{ text }]);
  }

  /** Stops following without touching the cloud job, which runs on; the next server re-attaches to it. */
  async detach(): Promise<void> {
    this.#detached = true;
    this.#abort.abort();
    await this.#following;
    await this.pipeline.close({ ended: false });
  }

  /**
   * Cancels the cloud job; its log stream then ends and `run` reports STOPPED. The Hub stops the container itself,
   * so there is no grace period to apply here.
   */
  stop(_graceMs: number): Promise<void> {
    if (!this.#externalId) {
      this.#stopWanted = true;
      return Promise.resolve();
    }
    this.#stopping ??= this.#cancel(this.#externalId).catch((error) => {
      this.#stopping = undefined;
      throw error;
    });
    return this.#stopping;
  }

  async #cancel(id: string): Promise<void> {
    try {
      await this.#client().cancelCloudJob(id);
    } catch (error) {
      // Refused because it had ended meanwhile: there is nothing left to stop.
      const info = await this.#client().cloudJobStatus(id).catch(() => undefined);
      if (!info || !isTerminal(info.status)) throw error;
    }
  }
}

/**
 * Groups the items of `source` that arrive together: a group is handed on when it holds `maxItems`, or when no
 * further item came within `waitMs`, so a lone line is delayed by at most that.
 */
async function* inBatches<T>(source: AsyncIterable<T>, maxItems: number, waitMs: number): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  const pull = () => {
    const next = iterator.next();
    // Awaited later (possibly after the consumer has been busy): a failure must not count as unhandled meanwhile.
    next.catch(() => {});
    return next;
  };
  const QUIET = Symbol('quiet');
  let batch: T[] = [];
  let next = pull();
  for (;;) {
    const result = batch.length ? await Promise.race([next, sleep(waitMs, QUIET)]) : await next;
    if (result === QUIET) {
      yield batch;
      batch = [];
      continue;
    }
    if (result.done) break;
    batch.push(result.value);
    next = pull();
    if (batch.length >= maxItems) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}
