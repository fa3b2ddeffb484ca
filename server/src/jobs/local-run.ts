import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { Job } from '../generated/prisma/client.ts';
import type { Services } from '../services.ts';
import { FileFollower } from '../logs/file-follower.ts';
import { JobLogPipeline } from '../logs/log-pipeline.ts';
import { WriteWatch } from '../logs/write-watch.ts';
import { JOB_MARKER_ENV, isJobProcessAlive, killJobProcesses } from './process-tree.ts';
import { jobPaths } from './job-paths.ts';
import { sampleJobUsage } from './resource-monitor.ts';
import { publishJobUpdated } from './job-events.ts';

const LAUNCHER = fileURLToPath(new URL('./launcher.sh', import.meta.url));

export interface ExitRecord {
  exitCode: number | null;
  signal: string | null;
  error?: string;
  finishedAt?: string;
}

export type RunOutcome =
  | { kind: 'exited'; exit: ExitRecord }
  /** The process is gone and left no exit record (SIGKILLed launcher, machine restart). */
  | { kind: 'vanished' }
  /** This server let go of the job (shutdown); the process keeps running for the next server. */
  | { kind: 'detached' };

/** The server's secrets are not the trainer's business. */
const PRIVATE_VARIABLES = ['ANANA_API_TOKEN', 'DATABASE_URL', 'REDIS_URL'];

function jobEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of PRIVATE_VARIABLES) delete env[name];
  for (const name of Object.keys(env)) if (name.startsWith('VITEST') || name === JOB_MARKER_ENV) delete env[name];
  return env;
}

/** execa's types accept only literal descriptor numbers; any open descriptor works at run time. */
const descriptor = (fd: number) => fd as 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One job running on this machine as a detached process group: it writes stdout/stderr to files,
 * which this server follows. It survives a server crash; a restarted server attaches to it again.
 */
export class LocalRun {
  readonly pipeline: JobLogPipeline;
  readonly #paths: ReturnType<typeof jobPaths>;
  #pid: number | null;
  #exited: Promise<RunOutcome> | undefined;
  #processGone = false;
  #stopping: Promise<void> | undefined;
  /** Set by a stop that came before the process existed: the launch ends it as soon as it is spawned. */
  #stopGraceMs: number | undefined;
  #monitor: NodeJS.Timeout | undefined;
  #peak = { cpu: 0, rss: 0 };
  #onTrialScan: (() => Promise<void>) | undefined;
  #detached = false;
  /** The output loop of `run()`, so that `detach()` can wait until it has let go. */
  #following: Promise<unknown> | undefined;

  constructor(
    private readonly services: Services,
    private job: Job,
  ) {
    this.#paths = jobPaths(services.config.resultsDir, job.id);
    this.#pid = job.pid;
    this.#peak = { cpu: job.peakCpuPercent ?? 0, rss: Number(job.peakRssBytes ?? 0) };
    this.pipeline = new JobLogPipeline({
      db: services.db,
      events: services.events,
      jobId: job.id,
      logPath: this.#paths.log,
      lastSeq: job.lastSeq,
      logOffset: Number(job.logOffset),
      offsets: { STDOUT: Number(job.stdoutOffset), STDERR: Number(job.stderrOffset) },
    });
  }

  get pid(): number | null {
    return this.#pid;
  }

  /** Called while the job runs and once at its end, e.g. to ingest trial files. */
  onProgress(scan: () => Promise<void>): void {
    this.#onTrialScan = scan;
  }

  /** Starts the command; resolves once it is spawned, with the pid recorded. */
  async launch(): Promise<void> {
    await mkdir(this.#paths.logsDir, { recursive: true });
    // A record left by an earlier attempt (a re-queued job) must not be taken for this one's.
    await rm(this.#paths.exit, { force: true });
    await this.pipeline.open();
    const [command, ...args] = this.job.command;
    // Descriptors, not paths: execa would pipe a path through this process, and the job must not depend on it.
    const stdout = openSync(this.#paths.stdout, 'a');
    const stderr = openSync(this.#paths.stderr, 'a');
    try {
      const child = execa('/bin/sh', [LAUNCHER, this.#paths.exit, command, ...args], {
        cwd: this.job.cwd ?? undefined,
        env: { ...jobEnvironment(), [JOB_MARKER_ENV]: this.job.id, PYTHONUNBUFFERED: '1', ANANA_OUTPUT_DIR: this.job.outputDir ?? '' },
        extendEnv: false,
        stdin: 'ignore',
        stdout: descriptor(stdout),
        stderr: descriptor(stderr),
        detached: true,
        cleanup: false,
        reject: false,
        buffer: false,
      });
      if (!child.pid) throw new Error(`could not spawn ${command}`);
      this.#pid = child.pid;
      // The launcher is this server's child here, so how it ended is known even when it could not write its record.
      this.#exited = child.then((result) => this.#readExit(result.signal ?? undefined));
      child.unref();
    } finally {
      closeSync(stdout);
      closeSync(stderr);
    }
    try {
      this.job = await this.services.db.prisma.job.update({ where: { id: this.job.id }, data: { pid: this.#pid, pgid: this.#pid } });
    } catch (error) {
      // Unrecorded, the process could never be found again by a restarted server: it must not run on.
      await killJobProcesses(this.job.id, this.#pid, 0);
      throw error;
    }
    publishJobUpdated(this.services.events, this.job.id);
    // A stop that arrived while the process was being spawned found nothing to kill: it is carried out now.
    if (this.#stopGraceMs !== undefined || this.job.stopRequested) void this.stop(this.#stopGraceMs ?? this.services.config.stopGraceMs);
  }

  /** Takes over a job whose process a previous server started (alive, or dead with output left to read). */
  async attach(): Promise<void> {
    await this.pipeline.open();
    const pid = this.#pid as number;
    // The launcher is not this server's child: its end can only be polled for.
    this.#exited = (async () => {
      while (!this.#detached && (await isJobProcessAlive(this.job.id, pid))) await sleep(100);
      return this.#detached ? { kind: 'detached' as const } : this.#readExit();
    })();
  }

  /** Follows the output until the process ends and every line is persisted; returns how it ended. */
  async run(): Promise<RunOutcome> {
    const exited = this.#exited as Promise<RunOutcome>;
    // The main command is done: whatever it left behind (daemons, escaped grandchildren) goes too, before the
    // last read, so that what they printed until then is still read.
    void exited.then(async (outcome) => {
      if (outcome.kind !== 'detached') await this.#killLeftovers();
      this.#processGone = true;
    });
    this.#startMonitor();
    const following = this.#follow();
    this.#following = following.catch(() => {});
    const state = await following;
    if (state === 'detached') return { kind: 'detached' };
    const outcome = await exited;
    await this.pipeline.flush();
    await this.#onTrialScan?.().catch((error) => console.error(`[jobs] trial scan of ${this.job.id} failed:`, error));
    return outcome;
  }

  /** Reads both output files into the pipeline until the process is gone and nothing is left to read. */
  async #follow(): Promise<'ended' | 'detached'> {
    const followers = {
      STDOUT: new FileFollower(this.#paths.stdout, Number(this.job.stdoutOffset)),
      STDERR: new FileFollower(this.#paths.stderr, Number(this.job.stderrOffset)),
    } as const;
    const writes = new WriteWatch([this.#paths.stdout, this.#paths.stderr]);
    let idleMs = 2;
    try {
      for (;;) {
        // Checked every round, not only when idle: a job printing without pause must not hold up a shutdown.
        if (this.#detached) return 'detached';
        const goneBeforeRound = this.#processGone;
        let progressed = false;
        for (const stream of ['STDOUT', 'STDERR'] as const) {
          const chunk = await followers[stream].read();
          if (chunk.bytesRead === 0) continue;
          progressed = true;
          await this.pipeline.waitForCapacity();
          this.pipeline.ingest(stream, chunk.lines, chunk.resumeOffset, chunk.lineEnds);
        }
        if (progressed) {
          idleMs = 2;
          continue;
        }
        if (goneBeforeRound) break;
        await writes.sleep(idleMs);
        idleMs = Math.min(idleMs * 2, 25);
      }
      for (const stream of ['STDOUT', 'STDERR'] as const) {
        const last = followers[stream].finish();
        this.pipeline.ingest(stream, last.lines, last.resumeOffset, last.lineEnds);
      }
      return 'ended';
    } finally {
      writes.close();
      clearInterval(this.#monitor);
      await Promise.all(Object.values(followers).map((f) => f.close()));
    }
  }

  async #killLeftovers(): Promise<void> {
    // During a stop, the stop's own SIGTERM reached the whole tree and its grace period runs for all of it: the
    // children of a main process that exited at once are given that, not a second SIGTERM and a shorter wait.
    // What is left once it has run its course (it ends with SIGKILL) is only swept.
    const stopping = this.#stopping;
    if (stopping) await stopping;
    const result = await killJobProcesses(this.job.id, this.#pid, stopping ? 0 : Math.min(1_000, this.services.config.stopGraceMs));
    if (result.found) console.warn(`[jobs] job ${this.job.id} left ${result.found} process(es) behind; they were ended`);
  }

  /**
   * Stops following without touching the process: at shutdown, jobs keep running for the next server,
   * which resumes from the offsets persisted here.
   */
  async detach(): Promise<void> {
    this.#detached = true;
    clearInterval(this.#monitor);
    await this.#following;
    await this.pipeline.close({ ended: false });
  }

  /** SIGTERM to every process of the job, the grace period, then SIGKILL. */
  stop(graceMs: number): Promise<void> {
    if (this.#pid === null) {
      // Not spawned yet: `launch` carries the stop out once there is a process.
      this.#stopGraceMs = graceMs;
      return Promise.resolve();
    }
    this.#stopping ??= (async () => {
      const result = await killJobProcesses(this.job.id, this.#pid, graceMs);
      if (result.survivors) console.error(`[jobs] ${result.survivors} processes of job ${this.job.id} survived SIGKILL`);
    })();
    return this.#stopping;
  }

  /**
   * How the command ended, from the launcher's record. Without one (the launcher itself was SIGKILLed, or the
   * machine restarted), the launcher's own signal is the best account there is, when this server saw it.
   */
  async #readExit(launcherSignal?: string): Promise<RunOutcome> {
    try {
      return { kind: 'exited', exit: JSON.parse(await readFile(this.#paths.exit, 'utf8')) as ExitRecord };
    } catch {
      if (!launcherSignal) return { kind: 'vanished' };
      return {
        kind: 'exited',
        exit: { exitCode: null, signal: launcherSignal, error: `the job's launcher was killed by ${launcherSignal} before it could record how the command ended`, finishedAt: new Date().toISOString() },
      };
    }
  }

  #startMonitor(): void {
    const intervalMs = 1_000;
    let sampling = false;
    this.#monitor = setInterval(async () => {
      if (sampling || this.#processGone) return;
      sampling = true;
      try {
        const usage = await sampleJobUsage(this.job.id, this.#pid);
        this.#peak = { cpu: Math.max(this.#peak.cpu, usage.cpuPercent), rss: Math.max(this.#peak.rss, usage.rssBytes) };
        await this.services.db.prisma.$transaction([
          this.services.db.prisma.job.update({
            where: { id: this.job.id },
            data: {
              cpuPercent: usage.cpuPercent,
              rssBytes: BigInt(usage.rssBytes),
              peakCpuPercent: this.#peak.cpu,
              peakRssBytes: BigInt(this.#peak.rss),
              heartbeatAt: new Date(),
            },
            select: { id: true },
          }),
          this.services.db.prisma.usageSample.create({
            data: { jobId: this.job.id, cpuPercent: usage.cpuPercent, rssBytes: BigInt(usage.rssBytes), processes: usage.processes },
            select: { id: true },
          }),
        ]);
        publishJobUpdated(this.services.events, this.job.id);
        await this.#onTrialScan?.();
      } catch (error) {
        if (!this.#processGone) console.error(`[jobs] sampling job ${this.job.id} failed:`, (error as Error).message);
      } finally {
        sampling = false;
      }
    }, intervalMs);
    this.#monitor.unref();
  }
}
