import { errorMessage } from './errors.ts';
import { inspectModelFile, type ModelFileFormat, type ModelFileReport, type TensorInfo } from './model-file.ts';
import { resolveModel } from './model-spec.ts';
import { SessionCache } from './session-cache.ts';
import { cacheDirectories, runtimeVersions, type CacheDirectories, type RuntimeVersions } from './versions.ts';

export interface ModelDiagnostics {
  id: string;
  path: string;
  exists: boolean;
  size: number | null;
  sha256: string | null;
  firstBytesHex: string | null;
  format: ModelFileFormat;
  /** What the file is, in words; for a broken file, exactly what is wrong with it. */
  description: string;
  lfsPointer: { oid: string | null; size: number | null } | null;
  loads: boolean;
  loadError: string | null;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** The `model.json` next to the model: whether it is usable and, if not, why. */
  sidecar: { ok: boolean; labels: string[]; inputSize: number | null; error: string | null };
}

export interface Diagnostics {
  collectedAt: string;
  runtime: RuntimeVersions;
  cacheDirs: CacheDirectories;
  /** The detector `ANANA_FACE_DETECTOR` names, diagnosed like a model; `null` when none is configured. */
  faceDetector: ModelDiagnostics | null;
  models: ModelDiagnostics[];
}

export interface DiagnosticsOptions {
  /** The server's shared cache: a model it already holds is diagnosed through that very session. */
  sessions?: SessionCache;
  resultsDir?: string;
  env?: Record<string, string | undefined>;
}

/**
 * Describes every model the server knows — file facts, what the bytes really are, whether onnxruntime
 * loads it and why not, its inputs and outputs — plus runtime versions and cache directories.
 * Never throws: whatever cannot be determined is reported as such.
 */
export async function collectDiagnostics(models: { id: string; path: string }[], options: DiagnosticsOptions = {}): Promise<Diagnostics> {
  const env = options.env ?? process.env;
  // Models nobody is using are loaded into a cache of their own and released afterwards, so that
  // asking for diagnostics does not keep every known model's session in memory.
  const scratch = new SessionCache();
  const loaderFor = async (modelPath: string) => (options.sessions && (await options.sessions.peek(modelPath)) ? options.sessions : scratch);
  try {
    const detectorPath = env.ANANA_FACE_DETECTOR?.trim();
    const [faceDetector, ...diagnosed] = await Promise.all([
      detectorPath ? diagnoseModel({ id: 'face-detector', path: detectorPath }, loaderFor, false) : null,
      ...models.map((model) => diagnoseModel(model, loaderFor, true)),
    ]);
    return {
      collectedAt: new Date().toISOString(),
      runtime: runtimeVersions(),
      cacheDirs: cacheDirectories(options.resultsDir ?? null, env),
      faceDetector: faceDetector ?? null,
      models: diagnosed as ModelDiagnostics[],
    };
  } finally {
    scratch.close();
  }
}

async function diagnoseModel(
  model: { id: string; path: string },
  loaderFor: (modelPath: string) => Promise<SessionCache>,
  hasSidecar: boolean,
): Promise<ModelDiagnostics> {
  try {
    const state = await (await loaderFor(model.path)).load(model.path);
    const report = state.ok ? state.model.report : (state.report ?? (await inspectModelFile(model.path)));
    return {
      ...fileFacts(model.id, report),
      loads: state.ok,
      loadError: state.ok ? null : state.reason,
      inputs: state.ok ? state.model.inputs : (report.onnx?.inputs ?? []),
      outputs: state.ok ? state.model.outputs : (report.onnx?.outputs ?? []),
      sidecar: hasSidecar ? await diagnoseSidecar(model.path) : { ok: true, labels: [], inputSize: null, error: null },
    };
  } catch (error) {
    return {
      ...fileFacts(model.id, { path: model.path, exists: false, size: null, sha256: null, firstBytesHex: null, format: 'UNKNOWN', description: 'not inspected' }),
      loads: false,
      loadError: `diagnostics failed: ${errorMessage(error)}`,
      inputs: [],
      outputs: [],
      sidecar: { ok: false, labels: [], inputSize: null, error: null },
    };
  }
}

function fileFacts(id: string, report: Omit<ModelFileReport, 'modifiedAt'>): Omit<ModelDiagnostics, 'loads' | 'loadError' | 'inputs' | 'outputs' | 'sidecar'> {
  return {
    id,
    path: report.path,
    exists: report.exists,
    size: report.size,
    sha256: report.sha256,
    firstBytesHex: report.firstBytesHex,
    format: report.format,
    description: report.description,
    lfsPointer: report.lfsPointer ?? null,
  };
}

async function diagnoseSidecar(modelPath: string): Promise<ModelDiagnostics['sidecar']> {
  try {
    const { sidecar } = await resolveModel({ modelPath });
    return { ok: true, labels: sidecar.labels, inputSize: sidecar.inputSize, error: null };
  } catch (error) {
    return { ok: false, labels: [], inputSize: null, error: errorMessage(error) };
  }
}
