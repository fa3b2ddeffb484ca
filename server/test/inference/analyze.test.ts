import { createHash } from 'node:crypto';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, createInferenceContext, type InferenceContext } from '../../src/inference/analyze.ts';
import { ImageCache } from '../../src/inference/image-cache.ts';
import { ModelSlot } from '../../src/inference/model-slot.ts';
import { SessionCache } from '../../src/inference/session-cache.ts';
import { solidImage } from './support/images.ts';
import { writeClassifierModel, type TestModel } from './support/model.ts';

let root: string;
let model: TestModel;
let context: InferenceContext;
let n = 0;
const freshDir = () => path.join(root, `m${n++}`);

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'anana-analyze-'));
  model = await writeClassifierModel(path.join(root, 'colour'));
  context = createInferenceContext({ resultsDir: path.join(root, 'results'), env: {} });
});
afterAll(async () => {
  context.sessions.close();
  await rm(root, { recursive: true, force: true });
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('analyze', () => {
  it('classifies an image end to end with the model and its sidecar', async () => {
    const bytes = await solidImage(120, 80, { r: 230, g: 20, b: 20 }, 'jpeg');
    const result = await analyze({ bytes, model: { dir: model.dir } }, context);
    const total = result.predictions.reduce((sum, p) => sum + p.score, 0);
    expect(total).toBeCloseTo(1, 5);
    expect(result.predictions.map((p) => p.label).sort()).toEqual(['blue', 'green', 'red']);
    expect(result.predictions[0]!.label).toBe('red');
    expect(result.predictions.map((p) => p.score)).toEqual([...result.predictions.map((p) => p.score)].sort((a, b) => b - a));
    expect(result).toMatchObject({
      imageId: sha256(bytes),
      model: { id: 'colour', path: model.modelPath, sha256: sha256(model.bytes) },
      original: { format: 'jpeg', width: 120, height: 80 },
      crop: { size: 80, padded: false },
      faceMethod: 'fallback-attention',
      fromCache: false,
    });
    const { decodeMs, preprocessMs, inferenceMs, totalMs } = result.timings;
    expect(Math.min(decodeMs, preprocessMs, inferenceMs)).toBeGreaterThanOrEqual(0);
    expect(totalMs).toBeGreaterThanOrEqual(decodeMs + preprocessMs + inferenceMs);
  });

  it('takes the labels from the sidecar', async () => {
    const dir = freshDir();
    const french = await writeClassifierModel(dir, { labels: ['rouge', 'vert', 'bleu'] });
    const result = await analyze({ bytes: await solidImage(32, 32, { r: 10, g: 10, b: 240 }), model: { dir: french.dir } }, context);
    expect(result.predictions[0]!.label).toBe('bleu');
  });

  it('caches the crop and analyses it again by id with the same scores', async () => {
    const bytes = await solidImage(64, 40, { r: 20, g: 200, b: 40 });
    const first = await analyze({ bytes, model: { dir: model.dir } }, context);
    await access(path.join(root, 'results', 'cache', 'images', `${first.imageId}.png`));
    const again = await analyze({ imageId: first.imageId, model: { dir: model.dir } }, context);
    expect(again).toMatchObject({ imageId: first.imageId, fromCache: true, crop: first.crop, faceMethod: first.faceMethod, original: first.original });
    again.predictions.forEach((p, i) => {
      expect(p.label).toBe(first.predictions[i]!.label);
      expect(p.score).toBeCloseTo(first.predictions[i]!.score, 6);
    });
  });

  it.each([
    { name: 'an unknown image id', imageId: 'f'.repeat(64), code: 'NOT_FOUND' },
    { name: 'a path as image id', imageId: '../../etc/passwd', code: 'INVALID_INPUT' },
  ])('refuses $name with $code', async ({ imageId, code }) => {
    await expect(analyze({ imageId, model: { dir: model.dir } }, context)).rejects.toMatchObject({ code });
  });

  it('refuses a bad image with INVALID_INPUT', async () => {
    await expect(analyze({ bytes: Buffer.from('not an image'), model: { dir: model.dir } }, context)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('refuses an oversized upload before looking at the model', async () => {
    const small: InferenceContext = { ...context, limits: { maxBytes: 100 } };
    const bytes = await solidImage(64, 64, { r: 1, g: 2, b: 3 });
    await expect(analyze({ bytes, model: { dir: path.join(root, 'no-such-model') } }, small)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('runs concurrent requests on one shared session', async () => {
    let created = 0;
    const sessions = new SessionCache({
      createSession: (p, o) => {
        created++;
        return InferenceSession.create(p, o);
      },
    });
    const shared: InferenceContext = { ...context, sessions };
    const images = await Promise.all([1, 2, 3, 4].map((i) => solidImage(30 + i, 30, { r: 60 * i, g: 0, b: 0 })));
    const results = await Promise.all(images.map((bytes) => analyze({ bytes, model: { dir: model.dir } }, shared)));
    expect(results).toHaveLength(4);
    expect(created).toBe(1);
    sessions.close();
  });

  it('uses the current model of a slot', async () => {
    const slot = new ModelSlot(context.sessions);
    await slot.switchTo({ id: 'production', dir: model.dir });
    const result = await analyze({ bytes: await solidImage(32, 32, { r: 250, g: 0, b: 0 }), model: slot }, context);
    expect(result.model).toMatchObject({ id: 'production', path: model.modelPath });
  });
});

describe('analyze with an unusable model', () => {
  const image = () => solidImage(32, 32, { r: 9, g: 9, b: 9 });
  it.each([
    { name: 'no model file', prepare: async (dir: string) => rm(path.join(dir, 'model.onnx')), reason: /no file at/ },
    {
      name: 'a Git LFS pointer for a model',
      prepare: (dir: string) => writeFile(path.join(dir, 'model.onnx'), `version https://git-lfs.github.com/spec/v1\noid sha256:${'b'.repeat(64)}\nsize 999\n`),
      reason: /Git LFS pointer/,
    },
    { name: 'no sidecar', prepare: async (dir: string) => rm(path.join(dir, 'model.json')), reason: /cannot read its sidecar/ },
    {
      name: 'a sidecar with more labels than outputs',
      prepare: (dir: string) => writeFile(path.join(dir, 'model.json'), JSON.stringify({ labels: ['a', 'b', 'c', 'd'], inputSize: 16, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] })),
      reason: /outputs 3 scores but the sidecar lists 4 labels/,
    },
    {
      name: 'a sidecar with the wrong input size',
      prepare: (dir: string) => writeFile(path.join(dir, 'model.json'), JSON.stringify({ labels: ['a', 'b', 'c'], inputSize: 32 })),
      reason: /expects input shape \[1, 3, 16, 16\]/,
    },
    {
      name: 'a sidecar naming another output',
      prepare: (dir: string) => writeFile(path.join(dir, 'model.json'), JSON.stringify({ labels: ['a', 'b', 'c'], inputSize: 16, outputName: 'logits' })),
      reason: /names output "logits"/,
    },
    { name: 'a sidecar that is not JSON', prepare: (dir: string) => writeFile(path.join(dir, 'model.json'), '{labels:'), reason: /is not JSON/ },
  ])('says MODEL_UNAVAILABLE with the reason for $name', async ({ prepare, reason }) => {
    const dir = freshDir();
    await writeClassifierModel(dir);
    await prepare(dir);
    const error = await analyze({ bytes: await image(), model: { dir } }, context).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_UNAVAILABLE', message: expect.stringMatching(reason) });
  });

  it('keeps nothing from a failed analysis in the image cache when the model is missing', async () => {
    const bytes = await solidImage(33, 33, { r: 1, g: 200, b: 3 });
    await expect(analyze({ bytes, model: { dir: path.join(root, 'absent') } }, context)).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE' });
    expect(await new ImageCache(path.join(root, 'results')).has(sha256(bytes))).toBe(false);
  });
});
