import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InferenceError, errorMessage } from './errors.ts';

/** The sidecar `model.json` the trainer writes next to `model.onnx`. */
export interface ModelSidecar {
  labels: string[];
  inputName: string;
  outputName: string;
  inputSize: number;
  layout: 'NCHW' | 'NHWC';
  mean: [number, number, number];
  std: [number, number, number];
  format: 'onnx';
}

/** Where a model lives: a directory holding `model.onnx` + `model.json`, or explicit paths. */
export interface ModelRef {
  /** Shown in results and diagnostics; defaults to the name of the model's directory. */
  id?: string;
  dir?: string;
  modelPath?: string;
  sidecarPath?: string;
  /** Use this instead of reading a sidecar file. */
  sidecar?: ModelSidecar;
}

export interface ResolvedModel {
  id: string;
  modelPath: string;
  sidecarPath: string | null;
  sidecar: ModelSidecar;
}

/** The file paths a reference names, without touching the disk. */
export function modelPaths(ref: ModelRef): { id: string; modelPath: string; sidecarPath: string } {
  const modelPath = path.resolve(ref.modelPath ?? path.join(ref.dir ?? fail('a model needs `dir` or `modelPath`'), 'model.onnx'));
  const sidecarPath = path.resolve(ref.sidecarPath ?? path.join(path.dirname(modelPath), 'model.json'));
  return { id: ref.id ?? path.basename(path.dirname(modelPath)), modelPath, sidecarPath };
}

/**
 * Reads and checks a model's sidecar. A missing or invalid sidecar makes the model unusable, so it is
 * reported as MODEL_UNAVAILABLE with the exact problem.
 */
export async function resolveModel(ref: ModelRef): Promise<ResolvedModel> {
  const { id, modelPath, sidecarPath } = modelPaths(ref);
  if (ref.sidecar) return { id, modelPath, sidecarPath: null, sidecar: parseSidecar(ref.sidecar, 'the given sidecar') };
  let raw: string;
  try {
    raw = await readFile(sidecarPath, 'utf8');
  } catch (error) {
    throw new InferenceError('MODEL_UNAVAILABLE', `model ${id}: cannot read its sidecar ${sidecarPath}: ${errorMessage(error)}`, { modelId: id, path: sidecarPath });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new InferenceError('MODEL_UNAVAILABLE', `model ${id}: ${sidecarPath} is not JSON: ${errorMessage(error)}`, { modelId: id, path: sidecarPath });
  }
  try {
    return { id, modelPath, sidecarPath, sidecar: parseSidecar(json, sidecarPath) };
  } catch (error) {
    throw new InferenceError('MODEL_UNAVAILABLE', `model ${id}: ${errorMessage(error)}`, { modelId: id, path: sidecarPath });
  }
}

/** Validates a sidecar object, filling the documented defaults; throws a plain Error naming the bad field. */
export function parseSidecar(value: unknown, source: string): ModelSidecar {
  const bad = (field: string, rule: string): never => {
    throw new Error(`${source}: "${field}" ${rule}`);
  };
  if (!value || typeof value !== 'object' || Array.isArray(value)) return bad('(root)', 'must be an object');
  const v = value as Record<string, unknown>;
  const labels = v.labels;
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string')) bad('labels', 'must be a non-empty array of strings');
  const inputSize = v.inputSize;
  if (!Number.isInteger(inputSize) || (inputSize as number) < 1 || (inputSize as number) > 4096) bad('inputSize', 'must be an integer from 1 to 4096');
  const triple = (field: 'mean' | 'std', fallback: number[], positive: boolean): [number, number, number] => {
    const t = v[field] ?? fallback;
    if (!Array.isArray(t) || t.length !== 3 || !t.every((n) => typeof n === 'number' && Number.isFinite(n) && (!positive || n > 0))) {
      bad(field, `must be 3 ${positive ? 'positive ' : ''}numbers (r, g, b)`);
    }
    return t as [number, number, number];
  };
  const name = (field: 'inputName' | 'outputName', fallback: string): string => {
    const n = v[field] ?? fallback;
    return typeof n === 'string' && n.length > 0 ? n : bad(field, 'must be a non-empty string');
  };
  const layout = v.layout ?? 'NCHW';
  if (layout !== 'NCHW' && layout !== 'NHWC') bad('layout', 'must be "NCHW" or "NHWC"');
  const format = v.format ?? 'onnx';
  if (format !== 'onnx') bad('format', `must be "onnx" (this server runs ONNX models only; got ${JSON.stringify(format)})`);
  return {
    labels: labels as string[],
    inputName: name('inputName', 'input'),
    outputName: name('outputName', 'probabilities'),
    inputSize: inputSize as number,
    layout: layout as ModelSidecar['layout'],
    mean: triple('mean', [0, 0, 0], false),
    std: triple('std', [1, 1, 1], true),
    format: 'onnx',
  };
}

function fail(message: string): never {
  throw new InferenceError('INVALID_INPUT', message);
}
