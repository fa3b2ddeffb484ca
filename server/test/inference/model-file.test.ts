import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectModelFile } from '../../src/inference/model-file.ts';
import { LFS_OID, modelFileCases, writeModelFile } from './support/broken-models.ts';
import { COLOUR_MODEL } from './support/model.ts';
import { buildClassifierOnnx } from '../../../examples/trainer/onnx-model.ts';

let root: string;
let n = 0;
const freshDir = async () => {
  const dir = path.join(root, String(n++));
  await mkdir(dir);
  return dir;
};

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'anana-model-file-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('inspectModelFile', () => {
  it.each(modelFileCases)('reports $name as $format with size, digest and first bytes', async ({ content, format, describedAs }) => {
    const bytes = content();
    const file = await writeModelFile(await freshDir(), bytes);
    const report = await inspectModelFile(file);
    expect(report).toMatchObject({
      path: file,
      exists: true,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      firstBytesHex: bytes.subarray(0, 16).toString('hex'),
      format,
    });
    expect(report.description).toMatch(describedAs);
  });

  it('reads the inputs and outputs of a valid model from its graph', async () => {
    const file = await writeModelFile(await freshDir(), Buffer.from(buildClassifierOnnx(COLOUR_MODEL)));
    const { onnx } = await inspectModelFile(file);
    expect(onnx).toMatchObject({
      irVersion: 8,
      opsets: [{ domain: '', version: 13 }],
      inputs: [{ name: 'input', type: 'float32', shape: [1, 3, 16, 16] }],
      outputs: [{ name: 'probabilities', type: 'float32', shape: [1, 3] }],
    });
  });

  it('reports what an LFS pointer claims', async () => {
    const pointer = modelFileCases.find((c) => c.format === 'GIT_LFS_POINTER')!;
    const report = await inspectModelFile(await writeModelFile(await freshDir(), pointer.content()));
    expect(report.lfsPointer).toEqual({ oid: LFS_OID, size: 123456 });
  });

  it('reports a missing file without throwing', async () => {
    const report = await inspectModelFile(path.join(root, 'nowhere', 'model.onnx'));
    expect(report).toMatchObject({ exists: false, format: 'MISSING', size: null, sha256: null });
  });

  it('reports a directory without throwing', async () => {
    expect(await inspectModelFile(root)).toMatchObject({ exists: true, format: 'UNKNOWN', description: expect.stringContaining('not a regular file') });
  });

  it('reads a valid model as a truncated download when it is shorter than expected', async () => {
    const bytes = Buffer.from(buildClassifierOnnx(COLOUR_MODEL));
    const report = await inspectModelFile(await writeModelFile(await freshDir(), bytes), { expected: { size: bytes.length + 10 } });
    expect(report).toMatchObject({ format: 'TRUNCATED_OR_CORRUPT', description: expect.stringContaining(`${bytes.length} of the ${bytes.length + 10} bytes`) });
  });

  it('walks a model too large to decode without decoding it', async () => {
    const bytes = Buffer.from(buildClassifierOnnx(COLOUR_MODEL));
    const dir = await freshDir();
    const whole = await inspectModelFile(await writeModelFile(dir, bytes), { maxDecodeBytes: 10 });
    const cut = await inspectModelFile(await writeModelFile(await freshDir(), bytes.subarray(0, bytes.length - 5)), { maxDecodeBytes: 10 });
    expect(whole).toMatchObject({ format: 'ONNX', sha256: createHash('sha256').update(bytes).digest('hex') });
    expect(whole.onnx).toBeUndefined();
    expect(cut.format).toBe('TRUNCATED_OR_CORRUPT');
  });
});
