import { mkdir, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Job, Prisma } from '../generated/prisma/client.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import type { Services } from '../services.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors/errors.ts';
import { gitInfo } from './git-info.ts';
import { jobPaths, UUID_PATTERN } from './job-paths.ts';
import { LocalRun, type RunOutcome } from './local-run.ts';
import { CloudRun, type CloudRunOutcome } from '../hub/cloud-run.ts';
import { killJobProcesses } from './process-tree.ts';
import { jobTopic, QUEUE_TOPIC, publishJobUpdated, publishLogEnded } from './job-events.ts';
import { liveServers } from './server-instances.ts';
import { readLogs } from '../logs/log-store.ts';
import { KeyedSerializer } from '../keyed-serializer.ts';

export type ExecutorName = 'LOCAL' | 'HF_JOBS';

/** How a job is followed: a subprocess on this machine, or a job on Hugging Face Jobs. */
type ExecutorRun = LocalRun | CloudRun;

/** Cloud jobs use no local slot; this bounds how many one server follows. */
const MAX_CLOUD_RUNS = 32;

export interface StartJobInput {
  trials?: number | null;
  quick?: boolean | null;
  flavor?: string | null;
  executor?: ExecutorName | null;
  seed?: number | null;
  maxRetries?: number | null;
}

export interface TrainJobInput {
  runId: string;
  paramsFile: string;
  outputDir: string;
  flavor?: string;
  executor?: ExecutorName;
  /** Short training, when the promoted trial came from a quick tuning run. */
  quick?: boolean;
  config: Prisma.InputJsonValue;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'STOPPED', 'LOST']);
export const isTerminal = (status: string) => TERMINAL.has(status);
/** How long stopJob waits, after the processes are gone, for the final state before it answers. */
const STOP_SETTLE_MS = 10_000;

async function settledWithin(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!promise) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
const FLAVOR_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Hooks other domains attach to a job's life (trial ingestion, promotion bookkeeping). */
export interface JobHooks {
  onProgress?(job: Job): Promise<void>;
  onFinished?(job: Job): Promise<void>;
}

/**
 * The job queue and its local executor: jobs are rows, dispatch is an atomic claim in the database
 * (FOR UPDATE SKIP LOCKED), so several replicas can share one queue without running a job twice.
 */
export class JobService {
  readonly #runs = new Map<string, ExecutorRun>();
  readonly #metadataWrites = new KeyedSerializer();
  /** Settles when the job's run is over and its final state is recorded. */
  readonly #settled = new Map<string, Promise<void>>();
  readonly #hooks: JobHooks[] = [];
  #timer: NodeJS.Timeout | undefined;
  #dispatching: Promise<void> | undefined;
  #redispatch = false;
  #recovering: Promise<void> | undefined;
  #closed = false;
  #unsubscribe: (() => void) | undefined;

  constructor(private readonly services: Services) {}

  addHooks(hooks: JobHooks): void {
    this.#hooks.push(hooks);
  }

  /** The live pipeline of a job followed by this server, if any (its unpersisted lines are readable). */
  pipeline(jobId: string) {
    return this.#runs.get(jobId)?.pipeline;
  }

  get runningHere(): number {
    return this.#runs.size;
  }

  /** Recovers jobs a previous server left running, then starts dispatching. */
  async start(): Promise<void> {
    await this.#recoverOnce({ atStart: true });
    this.#unsubscribe = this.services.events.subscribe(QUEUE_TOPIC, () => this.dispatchSoon());
    this.#timer = setInterval(() => this.dispatchSoon(), 1_000);
    this.#timer.unref();
    this.dispatchSoon();
  }

  /** Stops dispatching and detaches from running jobs, which keep running and are re-attached at the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#unsubscribe?.();
    await this.#dispatching?.catch(() => {});
    await this.#recovering?.catch(() => {});
    await Promise.all([...this.#runs.values()].map((run) => run.detach().catch(() => {})));
    await Promise.all([...this.#settled.values()].map((settled) => settled.catch(() => {})));
  }

  async get(id: string): Promise<Job> {
    if (!UUID_PATTERN.test(id)) throw new InvalidInputError(`Job id ${JSON.stringify(id)} is not a valid id`, { field: 'id' });
    const job = await this.services.db.prisma.job.findUnique({ where: { id } });
    if (!job) throw new NotFoundError('Job', id);
    return job;
  }

  /** Validates the request and queues a TUNE job with its full, reproducible argv. */
  async startTune(input: StartJobInput): Promise<Job> {
    const trials = input.trials ?? 4;
    if (!Number.isInteger(trials) || trials < 1 || trials > 10_000) throw new InvalidInputError('trials must be an integer from 1 to 10000', { field: 'trials' });
    const executor = input.executor ?? 'LOCAL';
    const flavor = input.flavor ?? (executor === 'HF_JOBS' ? 'cpu-basic' : 'cpu');
    if (!FLAVOR_PATTERN.test(flavor)) throw new InvalidInputError(`flavor ${JSON.stringify(flavor)} is not a valid flavor name`, { field: 'flavor' });
    // Refused now rather than failing at launch: NOT_CONFIGURED without HF_TOKEN/ANANA_HUB_REPO, INVALID_INPUT for a flavor the Hub lacks.
    if (executor === 'HF_JOBS') await this.services.hub.requireCloudJobs(flavor);
    const seed = input.seed ?? Math.floor(Math.random() * 1_000_000);
    const maxRetries = input.maxRetries ?? 0;
    if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 10) throw new InvalidInputError('maxRetries must be from 0 to 10', { field: 'maxRetries' });
    const id = crypto.randomUUID();
    const outputDir = jobPaths(this.services.config.resultsDir, id).tuneDir;
    const args = ['--mode', 'tune', '--trials', String(trials), '--flavor', flavor, '--seed', String(seed), '--output-dir', outputDir, ...(input.quick ? ['--quick'] : [])];
    return this.#enqueue({ id, kind: 'TUNE', executor, flavor, trials, quick: !!input.quick, maxRetries, outputDir, args, structured: { trials, quick: !!input.quick, flavor, seed, executor } });
  }

  /** Queues the final training of a promoted trial. */
  async startTrain(input: TrainJobInput): Promise<Job> {
    const flavor = input.flavor ?? 'cpu';
    const args = ['--mode', 'train', '--params', input.paramsFile, '--output-dir', input.outputDir, '--predict', '--flavor', flavor, ...(input.quick ? ['--quick'] : [])];
    return this.#enqueue({
      id: crypto.randomUUID(),
      kind: 'TRAIN',
      executor: input.executor ?? 'LOCAL',
      flavor,
      trials: null,
      quick: !!input.quick,
      maxRetries: 0,
      outputDir: input.outputDir,
      args,
      structured: { runId: input.runId, paramsFile: input.paramsFile, predict: true, flavor, quick: !!input.quick },
      config: input.config,
    });
  }

  async #enqueue(spec: {
    id: string;
    kind: 'TUNE' | 'TRAIN';
    executor: ExecutorName;
    flavor: string;
    trials: number | null;
    quick: boolean;
    maxRetries: number;
    outputDir: string;
    args: string[];
    structured: Prisma.InputJsonValue;
    config?: Prisma.InputJsonValue;
  }): Promise<Job> {
    const { config } = this.services;
    const command = [...config.trainCmd, ...spec.args];
    const job = await this.services.db.prisma.job.create({
      data: {
        id: spec.id,
        kind: spec.kind,
        executor: spec.executor,
        flavor: spec.flavor,
        trials: spec.trials,
        quick: spec.quick,
        maxRetries: spec.maxRetries,
        args: spec.structured,
        command,
        cwd: PROJECT_ROOT,
        outputDir: spec.outputDir,
        logPath: jobPaths(config.resultsDir, spec.id).log,
        config: spec.config ?? { trainCmd: config.trainCmd, stopGraceMs: config.stopGraceMs, maxConcurrentJobs: config.maxConcurrentJobs },
      },
    });
    // Dispatched at once: the git commit (two git processes, 10–25 ms) is recorded while the job starts.
    this.services.events.publish(QUEUE_TOPIC, { jobId: job.id });
    const git = await gitInfo(PROJECT_ROOT);
    const gitCommit = git.commit ? `${git.commit}${git.dirty ? '-dirty' : ''}` : null;
    if (gitCommit) await this.services.db.prisma.job.update({ where: { id: job.id }, data: { gitCommit }, select: { id: true } });
    await this.#writeMetadata(job.id);
    publishJobUpdated(this.services.events, job.id);
    return { ...job, gitCommit };
  }

  /**
   * Stops a job: a queued one is dequeued; a running one gets SIGTERM on its whole tree, the grace
   * period, then SIGKILL. The request is recorded first, so the replica running it acts even if this one is not it.
   */
  async stop(id: string): Promise<Job> {
    const job = await this.get(id);
    if (isTerminal(job.status)) throw new ConflictError(`Job ${id} has already ended (${job.status})`, { status: job.status });
    const dequeued = await this.services.db.prisma.job.updateMany({
      where: { id, status: 'QUEUED' },
      data: { status: 'STOPPED', stopRequested: true, finishedAt: new Date(), error: 'stopped before it started' },
    });
    if (dequeued.count === 1) {
      publishJobUpdated(this.services.events, id);
      const stopped = await this.get(id);
      publishLogEnded(this.services.events, id, stopped.lastSeq);
      return stopped;
    }
    const stopping = await this.services.db.prisma.job.updateMany({ where: { id, status: 'RUNNING' }, data: { stopRequested: true } });
    if (stopping.count === 0) {
      const now = await this.get(id);
      throw new ConflictError(`Job ${id} has already ended (${now.status})`, { status: now.status });
    }
    this.services.events.publish(`stop:${id}`, { jobId: id });
    const run = this.#runs.get(id);
    if (run) {
      await run.stop(this.services.config.stopGraceMs);
      // Answer with the final state when it follows shortly (it usually does once the processes are gone).
      await settledWithin(this.#settled.get(id), STOP_SETTLE_MS);
    } else {
      // Another replica or worker runs it and carries the stop out: answer with the final state it records.
      await this.#endedWithin(id, this.services.config.stopGraceMs + STOP_SETTLE_MS);
    }
    publishJobUpdated(this.services.events, id);
    return this.get(id);
  }

  /** Resolves once the job is in a terminal state (told by its updates, checked every 500 ms too), or after `ms`. */
  #endedWithin(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      const check = async () => {
        const job = await this.services.db.prisma.job.findUnique({ where: { id }, select: { status: true } }).catch(() => undefined);
        if (job === null || (job && isTerminal(job.status))) finish();
      };
      const unsubscribe = this.services.events.subscribe(jobTopic(id), () => void check());
      const poll = setInterval(() => void check(), 500);
      const timer = setTimeout(() => finish(), ms);
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearInterval(poll);
        unsubscribe();
        resolve();
      };
      void check();
    });
  }

  /** Runs the dispatcher soon, coalescing bursts of triggers into one pass. */
  dispatchSoon(): void {
    if (this.#closed) return;
    if (this.#dispatching) {
      this.#redispatch = true;
      return;
    }
    this.#dispatching = this.#dispatch()
      .catch((error) => console.error('[jobs] dispatch failed:', error))
      .finally(() => {
        this.#dispatching = undefined;
        if (this.#redispatch) {
          this.#redispatch = false;
          this.dispatchSoon();
        }
      });
  }

  async #dispatch(): Promise<void> {
    const { config } = this.services;
    await this.#dispatchOf('LOCAL', () => this.#count(LocalRun) < config.maxConcurrentJobs);
    // Any server (not a worker: it may have no Hub configuration) follows cloud jobs; they use no local slot.
    if (this.services.hub.configured && !config.workerMode) await this.#dispatchOf('HF_JOBS', () => this.#count(CloudRun) < MAX_CLOUD_RUNS);
  }

  #count(kind: typeof LocalRun | typeof CloudRun): number {
    return [...this.#runs.values()].filter((run) => run instanceof kind).length;
  }

  async #dispatchOf(executor: ExecutorName, hasRoom: () => boolean): Promise<void> {
    while (!this.#closed && hasRoom()) {
      const job = await this.#claim(executor);
      if (!job) return;
      if (this.#closed) {
        // Claimed while shutting down: hand it back rather than leave it RUNNING without a process.
        await this.services.db.prisma.job.updateMany({
          where: { id: job.id, ownerId: this.services.instanceId, status: 'RUNNING', pid: null },
          data: { status: 'QUEUED', ownerId: null, host: null, startedAt: null, attempt: { decrement: 1 } },
        });
        return;
      }
      await this.#execute(job, 'launch');
    }
  }

  /** Atomically moves the oldest eligible QUEUED job to RUNNING under this instance. */
  async #claim(executor: ExecutorName): Promise<Job | undefined> {
    // Worker flavors describe this machine's hardware: they filter local jobs only.
    const flavors = executor === 'LOCAL' ? this.services.config.workerFlavors : undefined;
    const rows = await this.services.db.prisma.$queryRawUnsafe<{ id: string }[]>(
      `UPDATE "Job" SET status = 'RUNNING', "ownerId" = $1, host = $2, "startedAt" = now(), "heartbeatAt" = now(),
              attempt = attempt + 1, "updatedAt" = now()
       WHERE id = (SELECT id FROM "Job" WHERE status = 'QUEUED' AND executor::text = $4
                   AND ($3::text[] IS NULL OR flavor = ANY($3::text[]))
                   ORDER BY "createdAt" LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      this.services.instanceId,
      this.services.config.hostName,
      flavors ?? null,
      executor,
    );
    if (!rows.length) return undefined;
    return this.services.db.prisma.job.findUniqueOrThrow({ where: { id: rows[0].id } });
  }

  async #execute(job: Job, mode: 'launch' | 'attach'): Promise<void> {
    const run: ExecutorRun = job.executor === 'HF_JOBS' ? new CloudRun(this.services, job) : new LocalRun(this.services, job);
    this.#runs.set(job.id, run);
    run.onProgress(async () => {
      const fresh = await this.services.db.prisma.job.findUnique({ where: { id: job.id } });
      if (fresh) for (const hook of this.#hooks) await hook.onProgress?.(fresh);
    });
    const unsubscribe = this.services.events.subscribe(`stop:${job.id}`, () => void run.stop(this.services.config.stopGraceMs));
    try {
      if (mode === 'launch') await run.launch();
      else await run.attach();
    } catch (error) {
      unsubscribe();
      this.#runs.delete(job.id);
      const fresh = await this.services.db.prisma.job.findUnique({ where: { id: job.id }, select: { stopRequested: true } });
      await (fresh?.stopRequested
        ? this.#finish(job.id, { status: 'STOPPED', error: 'stopped before it started' })
        : this.#finish(job.id, { status: 'FAILED', error: `could not start: ${(error as Error).message}` }));
      // After the final state, so that a subscriber that sees the end also sees the job ended.
      await run.pipeline.close({ ended: true }).catch(() => {});
      this.services.events.publish(QUEUE_TOPIC, { freed: job.id });
      return;
    }
    publishJobUpdated(this.services.events, job.id);
    if (mode === 'attach' && job.stopRequested) void run.stop(this.services.config.stopGraceMs);
    const settled = run
      .run()
      .then((outcome) => this.#finishRun(job.id, run, outcome))
      .catch(async (error) => {
        console.error(`[jobs] job ${job.id} failed in the server:`, error);
        await run.stop(0);
        await this.#finish(job.id, { status: 'FAILED', error: `internal error while following the job: ${(error as Error).message}` });
        await run.pipeline.close({ ended: true }).catch(() => {});
      })
      .catch((error) => console.error(`[jobs] could not record the end of job ${job.id}:`, error))
      .finally(() => {
        unsubscribe();
        this.#runs.delete(job.id);
        this.#settled.delete(job.id);
        this.services.events.publish(QUEUE_TOPIC, { freed: job.id });
      });
    this.#settled.set(job.id, settled);
  }

  async #finishRun(jobId: string, run: ExecutorRun, outcome: RunOutcome | CloudRunOutcome): Promise<void> {
    if (outcome.kind === 'detached') return;
    const job = await this.services.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    const exit = outcome.kind === 'exited' ? outcome.exit : undefined;
    let status: 'SUCCEEDED' | 'FAILED' | 'STOPPED' | 'LOST';
    let error: string | null = null;
    if (job.stopRequested) {
      status = 'STOPPED';
      error = 'stopped by request';
    } else if (!exit) {
      status = 'LOST';
      error =
        run instanceof CloudRun
          ? `the Hugging Face job ${run.externalId} no longer exists (deleted on the Hub)`
          : 'the process vanished without recording its exit (killed with SIGKILL, or the machine restarted)';
    } else if ('status' in outcome && outcome.status === 'STOPPED') {
      // Cancelled on the Hub (not through stopJob): the Hub's own words say by whom.
      status = 'STOPPED';
      error = exit.error ?? 'cancelled on Hugging Face';
    } else if (exit.exitCode === 0) {
      status = 'SUCCEEDED';
    } else {
      status = 'FAILED';
      error = exit.error ?? (exit.signal ? `killed by signal ${exit.signal}` : `exited with code ${exit.exitCode}`);
      const [tail] = await readLogs(this.services.db, jobId, { levels: ['ERROR'], tail: true, limit: 1 });
      if (tail) error += `; last error line: ${tail.text.slice(0, 500)}`;
    }
    // The exit record's clock is the launcher's; a job never ends before it started.
    const parsed = exit?.finishedAt ? new Date(exit.finishedAt) : undefined;
    const recorded = parsed && !Number.isNaN(parsed.getTime()) ? parsed : new Date();
    const finishedAt = job.startedAt && recorded < job.startedAt ? job.startedAt : recorded;
    await this.#finish(jobId, { status, error, exitCode: exit?.exitCode ?? null, signal: exit?.signal ?? null, finishedAt });
    await run.pipeline.close({ ended: true });
  }

  /** `endLog`: the job has no log pipeline that will publish the end of its log (it never ran here). */
  async #finish(jobId: string, data: { status: Job['status']; error?: string | null; exitCode?: number | null; signal?: string | null; finishedAt?: Date }, endLog = false): Promise<void> {
    const job = await this.services.db.prisma.job.update({
      where: { id: jobId },
      data: { status: data.status, error: data.error ?? null, exitCode: data.exitCode ?? null, signal: data.signal ?? null, finishedAt: data.finishedAt ?? new Date(), cpuPercent: 0, rssBytes: 0n },
    });
    await this.#writeMetadata(jobId).catch(() => {});
    for (const hook of this.#hooks) await hook.onFinished?.(job).catch((error) => console.error(`[jobs] finish hook of ${jobId} failed:`, error));
    publishJobUpdated(this.services.events, jobId);
    if (endLog) publishLogEnded(this.services.events, jobId, job.lastSeq);
  }

  /**
   * Takes over every RUNNING local job of this machine whose server is gone (at start; later when the
   * InstanceRegistry sees a server of this machine stop heartbeating). Rule: a job with a recorded process
   * is re-attached — if it still runs, it is followed on (its output was kept in its files meanwhile and is
   * read from the persisted offsets); if it ended, its remaining output is read and it is finished from its
   * exit record (SUCCEEDED/FAILED), or LOST when it left none. A job without a recorded process (its server
   * died while starting it) is LOST, and anything of it that did start is killed. Jobs of other machines
   * are left to the InstanceRegistry.
   */
  recover(): Promise<void> {
    return this.#recoverOnce({ atStart: false });
  }

  #recoverOnce(options: { atStart: boolean }): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#recovering ??= this.#adoptOrphans(options)
      .catch((error) => console.error('[jobs] recovery failed:', error))
      .finally(() => (this.#recovering = undefined));
    return this.#recovering;
  }

  async #adoptOrphans({ atStart }: { atStart: boolean }): Promise<void> {
    const { db, instanceId } = this.services;
    const live = await liveServers(this.services);
    // A local job can only be followed from its machine; a cloud job from any server with the Hub configured.
    const cloud = this.services.hub.configured && !this.services.config.workerMode;
    const running = await db.prisma.job.findMany({
      where: { status: 'RUNNING', OR: [{ executor: 'LOCAL', host: this.services.config.hostName }, ...(cloud ? [{ executor: 'HF_JOBS' as const }] : [])] },
    });
    for (const job of running) {
      if (this.#closed) return;
      if (this.#runs.has(job.id)) continue;
      // Its own jobs are only orphans at start (a restart under a fixed ANANA_INSTANCE_ID); later they are being launched.
      const ownerGone = job.ownerId === instanceId ? atStart : !job.ownerId || !live.has(job.ownerId);
      if (!ownerGone) continue;
      const claimed = await db.prisma.job.updateMany({ where: { id: job.id, status: 'RUNNING', ownerId: job.ownerId }, data: { ownerId: instanceId } });
      if (claimed.count !== 1) continue;
      const fresh = await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
      if (fresh.executor === 'HF_JOBS') {
        if (fresh.externalId) await this.#execute(fresh, 'attach');
        else await this.#finish(fresh.id, fresh.stopRequested ? { status: 'STOPPED', error: 'stopped before it started' } : { status: 'LOST', error: 'the server stopped while starting the cloud job; no Hugging Face job id was recorded' }, true);
      } else if (fresh.pid) await this.#execute(fresh, 'attach');
      else await this.#abandonUnstarted(fresh);
    }
  }

  async #abandonUnstarted(job: Job): Promise<void> {
    // The process may have been spawned just before the server died: only its marker can find it.
    const { found } = await killJobProcesses(job.id, null, this.services.config.stopGraceMs);
    const error = job.stopRequested
      ? 'stopped before it started'
      : `the server stopped while starting the process${found ? `; the ${found} process(es) it had started were killed` : ''}`;
    await this.#finish(job.id, { status: job.stopRequested ? 'STOPPED' : 'LOST', error }, true);
  }

  /**
   * Writes `<job dir>/job.json` from the job's row as it is now. Writes of one job run one after the other, each
   * reading the row afresh, so the file always ends with the latest state (a quick job can finish before the
   * write that follows its enqueueing).
   */
  #writeMetadata(jobId: string): Promise<void> {
    return this.#metadataWrites.run(jobId, async () => {
      const job = await this.services.db.prisma.job.findUnique({ where: { id: jobId } });
      if (job) await this.#writeMetadataFile(job);
    });
  }

  async #writeMetadataFile(job: Job): Promise<void> {
    const file = jobPaths(this.services.config.resultsDir, job.id).metadata;
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    const { id, kind, status, executor, flavor, trials, quick, args, command, cwd, gitCommit, config, exitCode, signal, error, createdAt, startedAt, finishedAt } = job;
    await writeFile(tmp, JSON.stringify({ id, kind, status, executor, flavor, trials, quick, args, command, cwd, gitCommit, config, exitCode, signal, error, createdAt, startedAt, finishedAt }, null, 2));
    await rename(tmp, file);
  }
}
