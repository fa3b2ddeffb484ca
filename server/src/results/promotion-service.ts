import { copyFile, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Job, Prisma, Run } from '../generated/prisma/client.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors/errors.ts';
import type { Services } from '../services.ts';
import { UUID_PATTERN } from '../jobs/job-paths.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { parseTrialFile } from './trial-file.ts';
import { resolveInsideResults } from './results-paths.ts';
import { inspectModelFile } from '../inference/model-file.ts';

export const PROJECT = 'default';
export const PRODUCTION_ALIAS = 'production';
export const MODELS_TOPIC = 'models';
export const RUNS_TOPIC = 'runs';

interface LockHolder {
  holder: string;
  reason: string;
  runId: string | null;
  createdAt: Date;
}

export interface ModelEntry {
  run: Run;
  modelPath: string;
  sizeBytes: number | null;
  isProduction: boolean;
  promotedAt: Date;
}

/**
 * Promotion of a trial to a final training run, and the model registry it feeds.
 * The project lock is a row in PromotionLock: inserting it is the acquisition, so the database
 * (not the UI, not one process) guarantees a single promotion at a time, across replicas and syncs.
 */
export class PromotionService {
  constructor(private readonly services: Services) {}

  #paths() {
    const root = this.services.config.resultsDir;
    return { configFile: path.join(root, 'config', 'training.json'), previousConfig: path.join(root, 'config', 'training.previous.json'), trainDir: path.join(root, 'train') };
  }

  /** Takes the project lock or throws CONFLICT naming who holds it. */
  async acquireLock(reason: string, holder: string, runId: string | null = null): Promise<void> {
    try {
      await this.services.db.prisma.promotionLock.create({ data: { project: PROJECT, reason, holder, runId } });
    } catch (error) {
      if ((error as { code?: string }).code !== 'P2002') throw error;
      const current = await this.services.db.prisma.promotionLock.findUnique({ where: { project: PROJECT } });
      throw new ConflictError(
        current
          ? `A ${current.reason} is in progress (${current.runId ? `run ${current.runId}, ` : ''}started ${current.createdAt.toISOString()} by ${current.holder}); try again when it ends`
          : 'Another promotion or sync just finished; try again',
        { lock: current ? ({ holder: current.holder, reason: current.reason, runId: current.runId, createdAt: current.createdAt } satisfies LockHolder) : null },
      );
    }
  }

  async releaseLock(runId?: string | null): Promise<void> {
    await this.services.db.prisma.promotionLock.deleteMany({ where: { project: PROJECT, ...(runId !== undefined && { runId }) } });
  }

  /** Runs `fn` under the project lock (used by sync, so a sync and a promotion never interleave). */
  async withLock<T>(reason: string, holder: string, fn: () => Promise<T>): Promise<T> {
    await this.acquireLock(reason, holder);
    try {
      return await fn();
    } finally {
      await this.releaseLock(null);
    }
  }

  /**
   * Reads the trial's hyper-parameters from its file, writes them into the consolidated training
   * configuration (atomically, previous version kept), and queues the final TRAIN job into
   * `train/<runId>/`. The lock is held until that job ends.
   */
  async promote(trialId: string, actor: string): Promise<Run> {
    if (!UUID_PATTERN.test(trialId)) throw new InvalidInputError(`Trial id ${JSON.stringify(trialId)} is not a valid id`, { field: 'trialId' });
    const trial = await this.services.db.prisma.trial.findUnique({ where: { id: trialId } });
    if (!trial) throw new NotFoundError('Trial', trialId);
    if (trial.error) throw new InvalidInputError(`Trial ${trialId} cannot be promoted: its file is invalid (${trial.error})`, { field: 'trialId' });
    const runId = crypto.randomUUID();
    await this.acquireLock('promotion', actor, runId);
    const { configFile, previousConfig, trainDir } = this.#paths();
    const outputDir = path.join(trainDir, runId);
    let previousText: string | undefined;
    let configWritten = false;
    try {
      const trialFile = resolveInsideResults(this.services.config.resultsDir, trial.filePath);
      const text = await readFile(trialFile, 'utf8').catch(() => {
        throw new InvalidInputError(`The file of trial ${trialId} (${trial.filePath}) is missing`);
      });
      let parsed: ReturnType<typeof parseTrialFile>;
      try {
        parsed = parseTrialFile(text, trialFile);
      } catch (error) {
        throw new InvalidInputError(`The file of trial ${trialId} (${trial.filePath}) is no longer a valid trial file (${(error as Error).message})`);
      }
      previousText = await readFile(configFile, 'utf8').catch(() => undefined);
      const previous = previousText ? (JSON.parse(previousText) as Record<string, unknown>) : {};
      const config = {
        ...previous,
        params: parsed.params,
        metric: parsed.metric,
        direction: parsed.direction.toLowerCase(),
        score: parsed.score,
        source: { trialId, trialNumber: parsed.number, trialFile: trial.filePath, jobId: trial.jobId },
        runId,
        promotedAt: new Date().toISOString(),
        promotedBy: actor,
      };
      if (previousText) await writeFileAtomic(previousConfig, previousText);
      await writeFileAtomic(configFile, `${JSON.stringify(config, null, 2)}\n`);
      configWritten = true;
      const paramsFile = path.join(outputDir, 'params.json');
      await writeFileAtomic(paramsFile, `${JSON.stringify(parsed.params, null, 2)}\n`);
      await writeFileAtomic(path.join(outputDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
      const run = await this.services.db.prisma.run.create({
        data: { id: runId, trialId, outputDir, config: config as Prisma.InputJsonValue, promotedBy: actor },
      });
      const sourceJob = trial.jobId ? await this.services.db.prisma.job.findUnique({ where: { id: trial.jobId }, select: { quick: true, flavor: true } }) : null;
      const job = await this.services.jobs.startTrain({ runId, paramsFile, outputDir, quick: sourceJob?.quick, config: config as Prisma.InputJsonValue });
      const linked = await this.services.db.prisma.run.update({ where: { id: run.id }, data: { jobId: job.id } });
      this.services.events.publish(RUNS_TOPIC, { runId });
      return linked;
    } catch (error) {
      // Nothing half-written: the previous configuration comes back, the run's folder and row go.
      if (configWritten) {
        if (previousText !== undefined) await writeFileAtomic(configFile, previousText).catch(() => {});
        else await rm(configFile, { force: true });
      }
      await rm(outputDir, { recursive: true, force: true });
      await this.services.db.prisma.run.deleteMany({ where: { id: runId, jobId: null } });
      await this.releaseLock(runId);
      throw error;
    }
  }

  /** Bookkeeping when a TRAIN job ends: the run's outcome, the production pointer, the lock. */
  async onTrainFinished(job: Job): Promise<void> {
    if (job.kind !== 'TRAIN') return;
    const run = await this.services.db.prisma.run.findFirst({ where: { jobId: job.id } });
    if (!run) return;
    const modelPath = path.join(run.outputDir, 'model.onnx');
    const hasModel = await stat(modelPath).then((s) => s.isFile() && s.size > 0, () => false);
    // Production moves only to a model that is one: what the bytes are is checked, not just that there are some.
    const report = hasModel && job.status === 'SUCCEEDED' ? await inspectModelFile(modelPath) : undefined;
    const notOnnx = report && report.format !== 'ONNX' ? `the final run's model.onnx is not a usable ONNX model: ${report.description}` : undefined;
    const succeeded = job.status === 'SUCCEEDED' && hasModel && !notOnnx;
    if (job.logPath) await copyFile(job.logPath, path.join(run.outputDir, 'train.log')).catch(() => {});
    const { prisma } = this.services.db;
    const finished = prisma.run.update({
      where: { id: run.id },
      data: {
        status: succeeded ? 'SUCCEEDED' : job.status === 'STOPPED' ? 'STOPPED' : 'FAILED',
        finishedAt: job.finishedAt ?? new Date(),
        modelPath: hasModel ? modelPath : null,
        error: succeeded ? null : (notOnnx ?? job.error ?? (job.status === 'SUCCEEDED' ? 'the final run wrote no model.onnx' : `final run ${job.status.toLowerCase()}`)),
      },
    });
    // One transaction: nobody sees the run SUCCEEDED while production still points elsewhere.
    if (succeeded) await this.#moveProduction(run.id, 'promote', run.promotedBy ?? 'promotion', [finished]);
    // A failed final run leaves the previous production model in place.
    else await finished;
    await this.releaseLock(run.id);
    this.services.events.publish(RUNS_TOPIC, { runId: run.id });
  }

  /** Releases locks whose run ended while no server was watching (or that never got a run). */
  async reconcileLocks(): Promise<void> {
    const lock = await this.services.db.prisma.promotionLock.findUnique({ where: { project: PROJECT } });
    if (!lock) return;
    const run = lock.runId ? await this.services.db.prisma.run.findUnique({ where: { id: lock.runId }, include: { job: true } }) : null;
    const ended = run?.job && ['SUCCEEDED', 'FAILED', 'STOPPED', 'LOST'].includes(run.job.status);
    const abandoned = !run && Date.now() - lock.createdAt.getTime() > 10 * 60_000;
    if (ended && run?.job) await this.onTrainFinished(run.job);
    else if (abandoned) await this.releaseLock(lock.runId);
  }

  /** Moves the production pointer to a successful run (promotion or rollback), recording history. */
  async setProduction(runId: string, actor: string, action: 'promote' | 'rollback' | 'set' = 'set'): Promise<void> {
    if (!UUID_PATTERN.test(runId)) throw new InvalidInputError(`Run id ${JSON.stringify(runId)} is not a valid id`, { field: 'runId' });
    const run = await this.services.db.prisma.run.findUnique({ where: { id: runId } });
    if (!run) throw new NotFoundError('Run', runId);
    if (run.status !== 'SUCCEEDED' || !run.modelPath) throw new ConflictError(`Run ${runId} has no usable model (status ${run.status})`, { status: run.status });
    await this.#moveProduction(runId, action, actor);
  }

  /**
   * Points production at `runId` with its history entry, in one transaction with `alongWith` (which is written
   * even when production already points there), then tells every replica.
   */
  async #moveProduction(runId: string, action: 'promote' | 'rollback' | 'set', actor: string, alongWith: Prisma.PrismaPromise<unknown>[] = []): Promise<void> {
    const { prisma } = this.services.db;
    const current = await prisma.modelAlias.findUnique({ where: { alias: PRODUCTION_ALIAS } });
    if (current?.runId === runId) {
      if (alongWith.length) await prisma.$transaction(alongWith);
      return;
    }
    await prisma.$transaction([
      ...alongWith,
      prisma.modelAlias.upsert({ where: { alias: PRODUCTION_ALIAS }, create: { alias: PRODUCTION_ALIAS, runId }, update: { runId } }),
      prisma.modelAliasEvent.create({ data: { alias: PRODUCTION_ALIAS, runId, previousRunId: current?.runId ?? null, action, actor } }),
    ]);
    this.services.events.publish(MODELS_TOPIC, { runId, previousRunId: current?.runId ?? null });
  }

  async productionRunId(): Promise<string | null> {
    return (await this.services.db.prisma.modelAlias.findUnique({ where: { alias: PRODUCTION_ALIAS } }))?.runId ?? null;
  }

  /** Every run that produced a model, newest first, with the production flag. */
  async models(): Promise<ModelEntry[]> {
    const { prisma } = this.services.db;
    const [runs, production] = await Promise.all([
      prisma.run.findMany({ where: { modelPath: { not: null } }, orderBy: { createdAt: 'desc' }, take: 500 }),
      this.productionRunId(),
    ]);
    return Promise.all(
      runs.map(async (run) => ({
        run,
        modelPath: run.modelPath as string,
        sizeBytes: await stat(run.modelPath as string).then((s) => s.size, () => null),
        isProduction: run.id === production,
        promotedAt: run.finishedAt ?? run.createdAt,
      })),
    );
  }

  async history(limit = 100) {
    return this.services.db.prisma.modelAliasEvent.findMany({ where: { alias: PRODUCTION_ALIAS }, orderBy: { createdAt: 'desc' }, take: limit });
  }
}
