import { Tensor } from 'onnxruntime-node';
import { InferenceError, errorMessage } from './errors.ts';
import { faceDetectorFromEnv, type FaceDetector } from './face-detector.ts';
import type { FaceMethod } from './face-locator.ts';
import { ImageCache, imageIdOf, parseImageId } from './image-cache.ts';
import { modelPaths, resolveModel, type ModelRef, type ResolvedModel } from './model-spec.ts';
import { ModelSlot } from './model-slot.ts';
import { imageLimits, preprocess, preprocessCachedCrop, type CropOptions, type CropReport, type ImageLimits } from './preprocess.ts';
import { SessionCache, type LoadedModel, type SessionLease } from './session-cache.ts';

/** What analysis needs besides the request: shared sessions, the crop cache, the face detector, limits. */
export interface InferenceContext {
  sessions: SessionCache;
  images: ImageCache;
  detector?: FaceDetector | null;
  limits?: Partial<ImageLimits>;
  crop?: Pick<CropOptions, 'detectorMargin' | 'workingMaxSide' | 'cropMaxSide' | 'padColor'>;
}

export type AnalyzeRequest = ({ bytes: Uint8Array; imageId?: undefined } | { imageId: string; bytes?: undefined }) & {
  /** A model by location, or a slot (such as production) whose current model is used. */
  model: ModelRef | ModelSlot;
};

export interface Prediction {
  label: string;
  score: number;
}

export interface AnalyzeResult {
  imageId: string;
  /** Highest score first. */
  predictions: Prediction[];
  model: { id: string; path: string; sha256: string };
  original: { format: string; width: number; height: number };
  crop: CropReport;
  faceMethod: FaceMethod;
  /** True when the crop came from the image cache (analysis by id). */
  fromCache: boolean;
  timings: { decodeMs: number; preprocessMs: number; inferenceMs: number; totalMs: number };
}

/**
 * The shared pieces for a results directory; the face detector comes from `ANANA_FACE_DETECTOR` when set.
 * Nothing is loaded here: models load on first use, so start-up never depends on a model.
 */
export function createInferenceContext(options: { resultsDir: string; limits?: Partial<ImageLimits>; env?: Record<string, string | undefined> }): InferenceContext {
  const sessions = new SessionCache();
  return {
    sessions,
    images: new ImageCache(options.resultsDir),
    detector: faceDetectorFromEnv(sessions, options.env),
    ...(options.limits && { limits: options.limits }),
  };
}

/**
 * Analyses an uploaded image (or a cached crop by `imageId`) with a model: checks, face-crops to a
 * square, normalises as the model's sidecar says, runs onnxruntime, and caches the crop by content hash.
 * @throws InferenceError PAYLOAD_TOO_LARGE / INVALID_INPUT for a bad image or id, NOT_FOUND for an
 * unknown id, MODEL_UNAVAILABLE (with the exact reason) for a missing or broken model.
 */
export async function analyze(request: AnalyzeRequest, context: InferenceContext): Promise<AnalyzeResult> {
  const started = performance.now();
  const limits = imageLimits(context.limits);
  // Refuse what can be refused from the request alone before touching the model.
  if (request.bytes !== undefined && request.bytes.byteLength > limits.maxBytes) {
    throw new InferenceError('PAYLOAD_TOO_LARGE', `the image is ${request.bytes.byteLength} bytes; the limit is ${limits.maxBytes}`, {
      size: request.bytes.byteLength,
      limit: limits.maxBytes,
    });
  }
  const requestedId = request.imageId !== undefined ? parseImageId(request.imageId) : undefined;

  const { model, loaded, lease } = await acquireModel(request.model, context.sessions);
  try {
    const tensor = { inputSize: model.sidecar.inputSize, mean: model.sidecar.mean, std: model.sidecar.std, layout: model.sidecar.layout };
    let input: { tensorData: Float32Array; dims: number[] };
    let described: Pick<AnalyzeResult, 'imageId' | 'original' | 'crop' | 'faceMethod' | 'fromCache'>;
    let decodeMs: number;
    let preprocessMs: number;
    if (requestedId !== undefined) {
      const cached = await context.images.get(requestedId);
      const prepared = await preprocessCachedCrop(cached.png, tensor);
      input = prepared;
      described = { imageId: requestedId, original: cached.info.original, crop: cached.info.crop, faceMethod: cached.info.faceMethod, fromCache: true };
      decodeMs = prepared.timings.decodeMs;
      preprocessMs = prepared.timings.tensorMs;
    } else {
      const bytes = request.bytes!;
      const prepared = await preprocess(bytes, { ...context.crop, limits, detector: context.detector ?? null, tensor });
      input = prepared;
      const imageId = imageIdOf(bytes);
      described = { imageId, original: prepared.original, crop: prepared.crop, faceMethod: prepared.faceMethod, fromCache: false };
      await context.images.put({ ...described, createdAt: new Date().toISOString() }, prepared.cropPng);
      decodeMs = prepared.timings.decodeMs;
      preprocessMs = prepared.timings.faceMs + prepared.timings.cropMs + prepared.timings.tensorMs;
    }

    const inferenceStarted = performance.now();
    const scores = await runClassifier(loaded, model, input);
    const inferenceMs = performance.now() - inferenceStarted;
    return {
      ...described,
      predictions: model.sidecar.labels.map((label, i) => ({ label, score: scores[i]! })).sort((a, b) => b.score - a.score),
      model: { id: model.id, path: loaded.path, sha256: loaded.sha256 },
      timings: { decodeMs, preprocessMs, inferenceMs, totalMs: performance.now() - started },
    };
  } finally {
    lease.release();
  }
}

async function acquireModel(source: ModelRef | ModelSlot, sessions: SessionCache): Promise<{ model: ResolvedModel; loaded: LoadedModel; lease: SessionLease }> {
  if (source instanceof ModelSlot) {
    const { ref, lease } = await source.acquire();
    try {
      return { model: await resolveModel(ref), loaded: lease.model, lease };
    } catch (error) {
      lease.release();
      throw error;
    }
  }
  // The sidecar first: it is cheap, and a bad one makes loading the session pointless.
  const model = await resolveModel(source);
  const lease = await sessions.acquire(modelPaths(source).modelPath);
  return { model, loaded: lease.model, lease };
}

async function runClassifier(loaded: LoadedModel, model: ResolvedModel, input: { tensorData: Float32Array; dims: number[] }): Promise<Float32Array> {
  const { inputName, outputName, labels } = model.sidecar;
  const unavailable = (reason: string) =>
    new InferenceError('MODEL_UNAVAILABLE', `model ${model.id}: ${reason}`, { modelId: model.id, path: loaded.path });
  const declared = loaded.inputs.find((i) => i.name === inputName);
  if (!declared) throw unavailable(`the sidecar names input "${inputName}" but the model's inputs are ${loaded.inputs.map((i) => `"${i.name}"`).join(', ')}`);
  if (!loaded.outputs.some((o) => o.name === outputName)) {
    throw unavailable(`the sidecar names output "${outputName}" but the model's outputs are ${loaded.outputs.map((o) => `"${o.name}"`).join(', ')}`);
  }
  // An empty shape means onnxruntime does not know it; symbolic or -1 dimensions accept anything.
  const mismatch =
    declared.shape.length > 0 &&
    (declared.shape.length !== input.dims.length || declared.shape.some((d, i) => typeof d === 'number' && d > 0 && d !== input.dims[i]));
  if (mismatch) {
    throw unavailable(`the model expects input shape [${declared.shape.join(', ')}] but the sidecar describes [${input.dims.join(', ')}]`);
  }
  let output;
  try {
    const result = await loaded.session.run({ [inputName]: new Tensor('float32', input.tensorData, input.dims) });
    output = result[outputName];
  } catch (error) {
    throw unavailable(`onnxruntime failed to run it: ${errorMessage(error)}`);
  }
  const scores = output && 'data' in output ? output.data : undefined;
  if (!(scores instanceof Float32Array)) throw unavailable(`output "${outputName}" is not a float32 tensor`);
  if (scores.length !== labels.length) throw unavailable(`it outputs ${scores.length} scores but the sidecar lists ${labels.length} labels`);
  return scores;
}
