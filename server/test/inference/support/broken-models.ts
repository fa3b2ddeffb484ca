import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelFileFormat } from '../../../src/inference/model-file.ts';
import { COLOUR_MODEL } from './model.ts';
import { buildClassifierOnnx } from '../../../../examples/trainer/onnx-model.ts';

export interface ModelFileCase {
  name: string;
  content: () => Buffer;
  format: ModelFileFormat;
  /** Words the description must contain, so a broken file is described, not just classified. */
  describedAs: RegExp;
}

const valid = () => Buffer.from(buildClassifierOnnx(COLOUR_MODEL));
export const LFS_OID = 'a'.repeat(64);

/** The model files seen in the wild that are not models, with what they must be reported as. */
export const modelFileCases: ModelFileCase[] = [
  { name: 'a valid ONNX model', content: valid, format: 'ONNX', describedAs: /valid ONNX model \(IR 8, opset ai\.onnx 13/ },
  {
    name: 'a Git LFS pointer',
    content: () => Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${LFS_OID}\nsize 123456\n`),
    format: 'GIT_LFS_POINTER',
    describedAs: /Git LFS pointer .* of 123456 bytes/,
  },
  {
    name: 'a model cut in half',
    content: () => {
      const bytes = valid();
      return bytes.subarray(0, Math.floor(bytes.length / 2));
    },
    format: 'TRUNCATED_OR_CORRUPT',
    describedAs: /field 7 \(graph\) .* the file is truncated/,
  },
  {
    name: 'a TFLite flatbuffer',
    content: () => Buffer.concat([Buffer.from([0x1c, 0, 0, 0]), Buffer.from('TFL3'), Buffer.alloc(120, 7)]),
    format: 'TFLITE',
    describedAs: /TensorFlow Lite/,
  },
  { name: 'an empty file', content: () => Buffer.alloc(0), format: 'EMPTY', describedAs: /empty/ },
  {
    name: 'an HTML error page',
    content: () => Buffer.from('<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>nope</body></html>'),
    format: 'HTML',
    describedAs: /HTML page titled "404 Not Found"/,
  },
  { name: 'a PyTorch checkpoint', content: () => Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(60, 1)]), format: 'UNKNOWN', describedAs: /ZIP archive \(a PyTorch/ },
  { name: 'a JSON error body', content: () => Buffer.from('{"error":"Repository not found"}'), format: 'UNKNOWN', describedAs: /text file starting with/ },
];

/** Writes one case's bytes as `model.onnx` in `dir`. */
export async function writeModelFile(dir: string, content: Buffer): Promise<string> {
  const file = path.join(dir, 'model.onnx');
  await writeFile(file, content);
  return file;
}
