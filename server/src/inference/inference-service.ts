import { UUID_PATTERN } from '../jobs/job-paths.ts';
import { MODELS_TOPIC } from '../results/promotion-service.ts';
import type { Services } from '../services.ts';
import { analyze, createInferenceContext, type AnalyzeResult, type InferenceContext } from './analyze.ts';
import { collectDiagnostics, type Diagnostics, type ModelDiagnostics } from './diagnostics.ts';
import { InferenceError, errorMessage } from './errors.ts';
import { ensureHubModel } from './hub-model.ts';
import { parseImageId } from './image-cache.ts';
import type { ModelRef } from './model-spec.ts';
import { ModelSlot } from './model-slot.ts';
import { readUpload } from './upload.ts';
import { validateImage, type ValidationResult } from './validate.ts';

/** A model in the diagnostics, with where the server knows it from. */
export interface KnownModelDiagnostics extends ModelDiagnostics {
  source: 'RUN' | 'HUB';
  isProduction: boolean;
}

export interface ServerDiagnostics extends Omit<Diagnostics, 'models'> {
  productionRunId: string | null;
  /** The production model first, then every other run with a model (newest first), then Hub models used. */
  models: KnownModelDiagnostics[];
}

/** One attempt at moving the production slot to a run's model. */
interface ProductionSwitch {
  runId: string;
  promise: Promise<void>;
  settled: boolean;
  failed: boolean;
  /** A retry after a failure is awaited by requests; only a first attempt is served by the previous model meanwhile. */
  retry: boolean;
}

const HUB_MODEL_ID = /^hub:([^@\s]+)(?:@(\S+))?$/;

/**
 * The server's inference: one session cache, image cache and production slot shared by every request.
 * The production model follows the registry's pointer (MODELS_TOPIC): the new model is loaded while the
 * previous one keeps answering, then takes over. Nothing here is needed for start-up to succeed: a missing
 * or broken model only makes analysis fail with MODEL_UNAVAILABLE and the reason.
 */
export class InferenceService {
  readonly context: InferenceContext;
  readonly production: ModelSlot;
  #productionRunId: string | null = null;
  /** Bumped by every production event, so that a slower database read cannot undo a newer event. */
  #productionGeneration = 0;
  #switch: ProductionSwitch | null = null;
  readonly #hubModels = new Map<string, { id: string; path: string }>();
  #unsubscribe: (() => void) | undefined;
  #warming: Promise<void> | undefined;

  constructor(readonly services: Services) {
    this.context = createInferenceContext({ resultsDir: services.config.resultsDir, limits: { maxBytes: services.config.maxUploadBytes } });
    this.production = new ModelSlot(this.context.sessions);
  }

  /** Follows production changes and warms the production model in the background; never fails on a model. */
  async start(): Promise<void> {
    this.#unsubscribe = this.services.events.subscribe(MODELS_TOPIC, (message) => {
      const { runId } = message.payload as { runId: string };
      this.#productionGeneration++;
      this.#productionRunId = runId;
      void this.#switchProduction(runId).promise.catch((error) => warnUnusable(runId, error));
    });
    this.#warming = (async () => {
      const runId = await this.#currentProductionRunId();
      if (runId) await this.#switchProduction(runId).promise.catch((error) => warnUnusable(runId, error));
    })().catch((error) => console.error('[inference] reading the production model pointer failed:', errorMessage(error)));
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    await this.#warming;
    await this.#switch?.promise.catch(() => undefined);
    this.context.sessions.close();
  }

  /**
   * Runs every check analysis would on an upload and names each failure; needs no model.
   * @throws InferenceError PAYLOAD_TOO_LARGE, or INVALID_INPUT when the value is not a file.
   */
  async validate(file: unknown): Promise<ValidationResult> {
    const bytes = await readUpload(file, this.services.config.maxUploadBytes);
    return validateImage(bytes, { limits: this.context.limits, detector: this.context.detector ?? null, ...this.context.crop });
  }

  /**
   * Analyses an upload with a run's model, a Hub model (`hub:owner/name[@revision]`) or, without `modelId`, production.
   * @throws InferenceError PAYLOAD_TOO_LARGE, INVALID_INPUT, NOT_FOUND (unknown model), MODEL_UNAVAILABLE (with the reason).
   */
  async analyzeUpload(file: unknown, modelId?: string | null): Promise<AnalyzeResult> {
    const bytes = await readUpload(file, this.services.config.maxUploadBytes);
    return analyze({ bytes, model: await this.#model(modelId) }, this.context);
  }

  /**
   * Analyses again an image analysed before, from its cached square crop.
   * @throws InferenceError INVALID_INPUT for a malformed id, NOT_FOUND for an id never analysed, and as {@link analyzeUpload}.
   */
  async analyzeCached(imageId: string, modelId?: string | null): Promise<AnalyzeResult> {
    // The id is checked before the model so that a wrong id is reported as such even when no model is usable.
    if (!(await this.context.images.has(parseImageId(imageId)))) {
      throw new InferenceError('NOT_FOUND', `image ${imageId} is not in the cache: analyse it with analyzeImage first`, { imageId });
    }
    return analyze({ imageId, model: await this.#model(modelId) }, this.context);
  }

  /** The cached square crop of an analysed image, as PNG bytes. */
  async cropPng(imageId: string): Promise<Buffer> {
    return (await this.context.images.get(imageId)).png;
  }

  /** Describes every model the server knows (production first) through the sessions it already holds. */
  async diagnostics(): Promise<ServerDiagnostics> {
    const [models, productionRunId] = await Promise.all([this.services.promotion.models(), this.services.promotion.productionRunId()]);
    const runs = [...models].sort((a, b) => Number(b.isProduction) - Number(a.isProduction));
    const known = [
      ...runs.map((m) => ({ id: m.run.id, path: m.modelPath, source: 'RUN' as const, isProduction: m.run.id === productionRunId })),
      ...[...this.#hubModels.values()].map((m) => ({ ...m, source: 'HUB' as const, isProduction: false })),
    ];
    const diagnostics = await collectDiagnostics(known, { sessions: this.context.sessions, resultsDir: this.services.config.resultsDir });
    return {
      ...diagnostics,
      productionRunId,
      models: diagnostics.models.map((m, i) => ({ ...m, source: known[i]!.source, isProduction: known[i]!.isProduction })),
    };
  }

  async #model(modelId: string | null | undefined): Promise<ModelRef | ModelSlot> {
    if (modelId === undefined || modelId === null || modelId === '') return this.#productionSlot();
    const hub = HUB_MODEL_ID.exec(modelId);
    if (hub) return this.#hubModel(hub[1]!, hub[2]);
    if (!UUID_PATTERN.test(modelId)) {
      throw new InferenceError('INVALID_INPUT', `modelId must be a run id (see the models query) or hub:owner/name[@revision], got ${JSON.stringify(modelId.slice(0, 100))}`, {
        field: 'modelId',
      });
    }
    return this.#runModel(modelId);
  }

  async #runModel(runId: string, role: 'requested' | 'production' = 'requested'): Promise<ModelRef> {
    const run = await this.services.db.prisma.run.findUnique({ where: { id: runId }, select: { id: true, status: true, outputDir: true, modelPath: true, error: true } });
    if (!run && role === 'production') throw new InferenceError('MODEL_UNAVAILABLE', `production points at run ${runId}, which no longer exists; promote or roll back to another run`, { modelId: runId });
    if (!run) throw new InferenceError('NOT_FOUND', `model ${runId} does not exist: no run has that id (see the models query)`, { modelId: runId });
    if (!run.modelPath) {
      throw new InferenceError('MODEL_UNAVAILABLE', `run ${runId} has no model (status ${run.status}${run.error ? `: ${run.error}` : ''})`, { modelId: runId });
    }
    return { id: run.id, dir: run.outputDir };
  }

  async #hubModel(repo: string, revision: string | undefined): Promise<ModelRef> {
    const { config } = this.services;
    const model = await ensureHubModel({ repo, ...(revision && { revision }), hubUrl: config.hfEndpoint, ...(config.hfToken && { accessToken: config.hfToken }) });
    // The full commit, so that the id given back as modelId names exactly this model and is served from the cache.
    const id = `hub:${model.repo}@${model.commit}`;
    this.#hubModels.set(id, { id, path: model.ref.modelPath! });
    return { ...model.ref, id };
  }

  /**
   * The slot holding production's model. While a new production model loads, the previous one answers;
   * when the production model cannot be used, the request fails with the reason (after one more try,
   * since the file may have been fixed since).
   */
  async #productionSlot(): Promise<ModelSlot> {
    const runId = await this.#currentProductionRunId();
    if (!runId) {
      throw new InferenceError('MODEL_UNAVAILABLE', 'no model has been promoted yet; run promoteTrial (or pass modelId to use a specific model)');
    }
    if (this.production.current?.id === runId) return this.production;
    let attempt = this.#switch;
    if (!attempt || attempt.runId !== runId || attempt.settled) attempt = this.#switchProduction(runId);
    if (!attempt.retry && !attempt.settled && this.production.current) return this.production;
    await attempt.promise;
    return this.production;
  }

  async #currentProductionRunId(): Promise<string | null> {
    if (this.#productionRunId) return this.#productionRunId;
    // Not cached while empty, so that a promotion another replica made is seen even without a shared event bus.
    const generation = this.#productionGeneration;
    const runId = await this.services.promotion.productionRunId();
    if (generation === this.#productionGeneration) this.#productionRunId = runId;
    return this.#productionRunId ?? runId;
  }

  #switchProduction(runId: string): ProductionSwitch {
    const previous = this.#switch;
    if (previous && previous.runId === runId && !previous.settled) return previous;
    const attempt: ProductionSwitch = {
      runId,
      settled: false,
      failed: false,
      retry: previous?.runId === runId && previous.failed,
      promise: this.#runModel(runId, 'production').then(async (ref) => void (await this.production.switchTo(ref))),
    };
    attempt.promise.then(
      () => {
        attempt.settled = true;
      },
      () => {
        attempt.settled = true;
        attempt.failed = true;
      },
    );
    this.#switch = attempt;
    return attempt;
  }
}

function warnUnusable(runId: string, error: unknown): void {
  console.warn(`[inference] the production model (run ${runId}) cannot be used; analysis fails until it is fixed or production is rolled back: ${errorMessage(error)}`);
}
