import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildClassifierOnnx, type ClassifierOnnxOptions } from '../../../../examples/trainer/onnx-model.ts';
import type { ModelSidecar } from '../../../src/inference/model-spec.ts';

export interface TestModel {
  dir: string;
  modelPath: string;
  sidecarPath: string;
  bytes: Uint8Array;
  sidecar: ModelSidecar;
}

/**
 * A colour classifier: each label's score grows with its own channel's mean, so a red image is "red".
 * Normalisation maps 0..255 to -1..1, which the sidecar states for the preprocessing to follow.
 */
export const COLOUR_MODEL: ClassifierOnnxOptions = {
  labels: ['red', 'green', 'blue'],
  weights: [
    [4, 0, 0],
    [0, 4, 0],
    [0, 0, 4],
  ],
  bias: [0, 0, 0],
  inputSize: 16,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
};

/** Writes `model.onnx` and its `model.json` sidecar into `dir`, as the trainer lays them out. */
export async function writeClassifierModel(dir: string, overrides: Partial<ClassifierOnnxOptions> = {}): Promise<TestModel> {
  const options = { ...COLOUR_MODEL, ...overrides };
  const bytes = buildClassifierOnnx(options);
  const sidecar: ModelSidecar = {
    labels: options.labels,
    inputName: 'input',
    outputName: 'probabilities',
    inputSize: options.inputSize,
    layout: 'NCHW',
    mean: options.mean as ModelSidecar['mean'],
    std: options.std as ModelSidecar['std'],
    format: 'onnx',
  };
  await mkdir(dir, { recursive: true });
  const modelPath = path.join(dir, 'model.onnx');
  const sidecarPath = path.join(dir, 'model.json');
  await writeFile(modelPath, bytes);
  await writeFile(sidecarPath, JSON.stringify(sidecar));
  return { dir, modelPath, sidecarPath, bytes, sidecar };
}
