// The inference domain's public surface; the API layer imports from here only.
export { analyze, createInferenceContext, type AnalyzeRequest, type AnalyzeResult, type InferenceContext, type Prediction } from './analyze.ts';
export { collectDiagnostics, type Diagnostics, type DiagnosticsOptions, type ModelDiagnostics } from './diagnostics.ts';
export { InferenceError, type InferenceErrorCode } from './errors.ts';
export { OnnxFaceDetector, faceDetectorFromEnv, type DetectedFace, type FaceDetector, type RgbImage } from './face-detector.ts';
export { locateFace, type DetectorOutcome, type FaceLocation, type FaceMethod } from './face-locator.ts';
export { ensureHubModel, hubCacheDir, type HubModel, type HubModelOptions } from './hub-model.ts';
export { ImageCache, imageCacheDir, imageIdOf, parseImageId, type CachedImageInfo } from './image-cache.ts';
export { inspectModelFile, type ModelFileFormat, type ModelFileReport, type TensorInfo } from './model-file.ts';
export { ModelSlot } from './model-slot.ts';
export { modelPaths, parseSidecar, resolveModel, type ModelRef, type ModelSidecar, type ResolvedModel } from './model-spec.ts';
export {
  DEFAULT_IMAGE_LIMITS,
  imageLimits,
  prepareCrop,
  preprocess,
  type CropOptions,
  type CropReport,
  type ImageCheck,
  type ImageCheckName,
  type ImageLimits,
  type PreprocessResult,
  type TensorSpec,
} from './preprocess.ts';
export { SessionCache, type LoadState, type LoadedModel, type SessionLease } from './session-cache.ts';
export { squareCrop, type Box, type SquareCrop } from './square-crop.ts';
export { validateImage, type ValidationResult } from './validate.ts';
export { cacheDirectories, runtimeVersions, type CacheDirectories, type RuntimeVersions } from './versions.ts';
