import type { AnalyzeResult, CacheDirectories, CropReport, ImageCheck, Prediction, RuntimeVersions, TensorInfo, ValidationResult } from '../inference/index.ts';
import type { KnownModelDiagnostics, ServerDiagnostics } from '../inference/inference-service.ts';
import { builder } from './builder.ts';

const FACE_METHOD_DESCRIPTION = 'How the face region was chosen: onnx-detector, fallback-attention (saliency) or fallback-center.';

const ImageCheckRef = builder.objectRef<ImageCheck>('ImageCheck').implement({
  fields: (t) => ({
    name: t.exposeString('name', { description: 'size, format, dimensions, pixels, decode, face or square_crop.' }),
    ok: t.exposeBoolean('ok'),
    message: t.exposeString('message'),
  }),
});

const CropPaddingRef = builder.objectRef<CropReport['pad']>('CropPadding').implement({
  fields: (t) => ({
    top: t.exposeInt('top'),
    left: t.exposeInt('left'),
    bottom: t.exposeInt('bottom'),
    right: t.exposeInt('right'),
  }),
});

const ImageCropRef = builder.objectRef<CropReport>('ImageCrop').implement({
  description: 'The square region analysed, in the pixels of the EXIF-oriented original; x/y are negative where it was padded.',
  fields: (t) => ({
    x: t.exposeInt('x'),
    y: t.exposeInt('y'),
    size: t.exposeInt('size'),
    padded: t.exposeBoolean('padded'),
    pad: t.expose('pad', { type: CropPaddingRef }),
  }),
});

const ImageValidationRef = builder.objectRef<ValidationResult>('ImageValidation').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok', { description: 'True when every check passed.' }),
    checks: t.expose('checks', { type: [ImageCheckRef], description: 'The checks that ran, in order; the failed ones say why.' }),
    format: t.exposeString('format', { nullable: true }),
    width: t.exposeInt('width', { nullable: true }),
    height: t.exposeInt('height', { nullable: true }),
    faceMethod: t.exposeString('faceMethod', { nullable: true, description: FACE_METHOD_DESCRIPTION }),
    crop: t.expose('crop', { type: ImageCropRef, nullable: true }),
  }),
});

const PredictionRef = builder.objectRef<Prediction>('Prediction').implement({
  fields: (t) => ({
    label: t.exposeString('label'),
    score: t.exposeFloat('score'),
  }),
});

const AnalysisModelRef = builder.objectRef<AnalyzeResult['model']>('AnalysisModel').implement({
  description: 'The model file that produced an analysis.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The run id, or hub:owner/name@<commit> for a Hub model; either can be passed back as modelId.' }),
    path: t.exposeString('path'),
    sha256: t.exposeString('sha256'),
  }),
});

const AnalysisTimingsRef = builder.objectRef<AnalyzeResult['timings']>('AnalysisTimings').implement({
  fields: (t) => ({
    decodeMs: t.exposeFloat('decodeMs'),
    preprocessMs: t.exposeFloat('preprocessMs', { description: 'Face location, square crop and normalisation.' }),
    inferenceMs: t.exposeFloat('inferenceMs'),
    totalMs: t.exposeFloat('totalMs'),
  }),
});

const ImageInfoRef = builder.objectRef<AnalyzeResult['original']>('ImageInfo').implement({
  fields: (t) => ({
    format: t.exposeString('format'),
    width: t.exposeInt('width', { description: 'After EXIF orientation.' }),
    height: t.exposeInt('height'),
  }),
});

const AnalysisRef = builder.objectRef<AnalyzeResult>('Analysis').implement({
  fields: (t) => ({
    imageId: t.exposeID('imageId', { description: 'The sha256 of the uploaded bytes; pass to analyzeById.' }),
    predictions: t.expose('predictions', { type: [PredictionRef], description: 'Highest score first.' }),
    model: t.expose('model', { type: AnalysisModelRef }),
    original: t.expose('original', { type: ImageInfoRef }),
    faceMethod: t.exposeString('faceMethod', { description: FACE_METHOD_DESCRIPTION }),
    crop: t.expose('crop', { type: ImageCropRef }),
    cropPngBase64: t.string({
      description: 'The cached square crop as a base64 PNG (read from the cache only when asked for).',
      resolve: async (analysis, _a, ctx) => (await ctx.services.inference.cropPng(analysis.imageId)).toString('base64'),
    }),
    fromCache: t.exposeBoolean('fromCache', { description: 'True when the crop came from the image cache (analyzeById).' }),
    timings: t.expose('timings', { type: AnalysisTimingsRef }),
  }),
});

const TensorInfoRef = builder.objectRef<TensorInfo>('TensorInfo').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    type: t.exposeString('type', { description: 'Element type, e.g. float32.' }),
    shape: t.stringList({
      description: 'One entry per dimension: a number, or the symbolic name of a dynamic one ("?" when unknown).',
      resolve: (info) => info.shape.map(String),
    }),
  }),
});

const ModelFileFormatEnum = builder.enumType('ModelFileFormat', {
  description: 'What a model file really is, whatever its name claims.',
  values: ['ONNX', 'TFLITE', 'GIT_LFS_POINTER', 'HTML', 'EMPTY', 'TRUNCATED_OR_CORRUPT', 'UNKNOWN', 'MISSING'] as const,
});

const ModelSourceEnum = builder.enumType('ModelSource', {
  values: { RUN: { description: 'A final training run (train/<runId>/).' }, HUB: { description: 'A Hugging Face Hub model analysed with modelId hub:owner/name.' } } as const,
});

const LfsPointerRef = builder.objectRef<NonNullable<KnownModelDiagnostics['lfsPointer']>>('LfsPointer').implement({
  description: 'What a Git LFS pointer claims the real file is.',
  fields: (t) => ({
    oid: t.exposeString('oid', { nullable: true }),
    size: t.exposeFloat('size', { nullable: true }),
  }),
});

const SidecarDiagnosticsRef = builder.objectRef<KnownModelDiagnostics['sidecar']>('SidecarDiagnostics').implement({
  description: 'The model.json next to a model: labels, input size and normalisation.',
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    labels: t.exposeStringList('labels'),
    inputSize: t.exposeInt('inputSize', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
  }),
});

const ModelDiagnosticsRef = builder.objectRef<KnownModelDiagnostics | Omit<KnownModelDiagnostics, 'source' | 'isProduction'>>('ModelDiagnostics').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    source: t.field({ type: ModelSourceEnum, nullable: true, description: 'Null for the face detector.', resolve: (m) => ('source' in m ? m.source : null) }),
    isProduction: t.boolean({ resolve: (m) => 'isProduction' in m && m.isProduction }),
    path: t.exposeString('path'),
    exists: t.exposeBoolean('exists'),
    size: t.exposeFloat('size', { nullable: true, description: 'Bytes.' }),
    sha256: t.exposeString('sha256', { nullable: true }),
    firstBytesHex: t.exposeString('firstBytesHex', { nullable: true, description: 'The first 16 bytes, in hex.' }),
    format: t.expose('format', { type: ModelFileFormatEnum }),
    description: t.exposeString('description', { description: 'What the file is; for a broken file, exactly what is wrong with it.' }),
    lfsPointer: t.expose('lfsPointer', { type: LfsPointerRef, nullable: true }),
    loads: t.exposeBoolean('loads', { description: 'Whether onnxruntime creates a session from it.' }),
    loadError: t.exposeString('loadError', { nullable: true }),
    inputs: t.expose('inputs', { type: [TensorInfoRef] }),
    outputs: t.expose('outputs', { type: [TensorInfoRef] }),
    sidecar: t.expose('sidecar', { type: SidecarDiagnosticsRef }),
  }),
});

const RuntimeVersionsRef = builder.objectRef<RuntimeVersions>('RuntimeVersions').implement({
  fields: (t) => ({
    node: t.exposeString('node'),
    onnxruntime: t.exposeString('onnxruntime'),
    sharp: t.exposeString('sharp'),
    libvips: t.exposeString('libvips'),
  }),
});

const CacheDirectoriesRef = builder.objectRef<CacheDirectories>('CacheDirectories').implement({
  fields: (t) => ({
    huggingFaceHub: t.exposeString('huggingFaceHub', { description: 'The Hugging Face cache Hub models are downloaded into (HF_HUB_CACHE / HF_HOME).' }),
    images: t.exposeString('images', { nullable: true, description: 'Where the square crops of analysed images are kept.' }),
  }),
});

const DiagnosticsRef = builder.objectRef<ServerDiagnostics>('Diagnostics').implement({
  fields: (t) => ({
    collectedAt: t.expose('collectedAt', { type: 'DateTime' }),
    productionRunId: t.exposeID('productionRunId', { nullable: true }),
    models: t.expose('models', { type: [ModelDiagnosticsRef], description: 'The production model first, then every other run with a model, then Hub models used.' }),
    faceDetector: t.expose('faceDetector', { type: ModelDiagnosticsRef, nullable: true, description: 'The detector ANANA_FACE_DETECTOR names, if any.' }),
    runtime: t.expose('runtime', { type: RuntimeVersionsRef }),
    cacheDirectories: t.field({ type: CacheDirectoriesRef, resolve: (d) => d.cacheDirs }),
  }),
});

builder.queryField('diagnostics', (t) =>
  t.field({
    type: DiagnosticsRef,
    description: 'Every model the server knows: which file, what it really is, whether it loads and why not; runtime versions and cache directories.',
    resolve: (_r, _a, ctx) => ctx.services.inference.diagnostics(),
  }),
);

const modelIdArg = { description: 'A run id (see models) or hub:owner/name[@revision]; production when omitted.' };

builder.mutationFields((t) => ({
  validateImage: t.field({
    type: ImageValidationRef,
    description: 'Runs every check analysis would (size, format, dimensions, pixels, decode, face, square crop) and names each failure; needs no model.',
    args: { image: t.arg({ type: 'File', required: true }) },
    resolve: (_r, { image }, ctx) => ctx.services.inference.validate(image),
  }),
  analyzeImage: t.field({
    type: AnalysisRef,
    description: 'Face-crops the image to a square, normalises it as the model says and runs the model. The crop is cached under its imageId.',
    args: { image: t.arg({ type: 'File', required: true }), modelId: t.arg.id({ required: false, ...modelIdArg }) },
    resolve: (_r, { image, modelId }, ctx) => ctx.services.inference.analyzeUpload(image, modelId == null ? null : String(modelId)),
  }),
  analyzeById: t.field({
    type: AnalysisRef,
    description: 'Analyses again an image analysed before, from its cached crop (NOT_FOUND for an unknown imageId).',
    args: { imageId: t.arg.id({ required: true }), modelId: t.arg.id({ required: false, ...modelIdArg }) },
    resolve: (_r, { imageId, modelId }, ctx) => ctx.services.inference.analyzeCached(String(imageId), modelId == null ? null : String(modelId)),
  }),
}));
