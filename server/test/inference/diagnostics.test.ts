import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectDiagnostics, type Diagnostics } from '../../src/inference/diagnostics.ts';
import { SessionCache } from '../../src/inference/session-cache.ts';
import { modelFileCases, writeModelFile } from './support/broken-models.ts';
import { writeClassifierModel } from './support/model.ts';

let root: string;
let diagnostics: Diagnostics;
const sessions = new SessionCache();

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'anana-diagnostics-'));
  const models = [];
  for (const [i, c] of modelFileCases.entries()) {
    const dir = path.join(root, `case-${i}`);
    await writeClassifierModel(dir);
    models.push({ id: c.name, path: await writeModelFile(dir, c.content()) });
  }
  models.push({ id: 'missing', path: path.join(root, 'nowhere', 'model.onnx') });
  models.push({ id: 'invalid path', path: 'bad\0path' });
  diagnostics = await collectDiagnostics(models, { sessions, resultsDir: path.join(root, 'results'), env: { HF_HOME: path.join(root, 'hf') } });
});
afterAll(async () => {
  sessions.close();
  await rm(root, { recursive: true, force: true });
});

const byId = (id: string) => diagnostics.models.find((m) => m.id === id)!;

describe('collectDiagnostics', () => {
  it.each(modelFileCases)('describes $name exactly', ({ name, content, format, describedAs }) => {
    const bytes = content();
    const model = byId(name);
    expect(model).toMatchObject({ exists: true, size: bytes.length, firstBytesHex: bytes.subarray(0, 16).toString('hex'), format, loads: format === 'ONNX' });
    expect(model.description).toMatch(describedAs);
    expect(model.sha256).toMatch(/^[0-9a-f]{64}$/);
    if (format === 'ONNX') expect(model.loadError).toBeNull();
    else expect(model.loadError).toMatch(describedAs);
  });

  it('lists the inputs and outputs of a model that loads', () => {
    expect(byId('a valid ONNX model')).toMatchObject({
      inputs: [{ name: 'input', type: 'float32', shape: [1, 3, 16, 16] }],
      outputs: [{ name: 'probabilities', type: 'float32', shape: [1, 3] }],
      sidecar: { ok: true, labels: ['red', 'green', 'blue'], inputSize: 16 },
    });
  });

  it.each([
    { id: 'missing', format: 'MISSING' },
    { id: 'invalid path', format: 'MISSING' },
  ])('reports $id as $format without throwing', ({ id, format }) => {
    expect(byId(id)).toMatchObject({ exists: false, format, loads: false, loadError: expect.any(String), sidecar: { ok: false } });
  });

  it('reports runtime versions and cache directories', () => {
    expect(diagnostics.runtime).toEqual({ node: process.versions.node, onnxruntime: '1.30.0', sharp: sharp.versions.sharp, libvips: sharp.versions.vips });
    expect(diagnostics.cacheDirs).toEqual({ huggingFaceHub: path.join(root, 'hf', 'hub'), images: path.join(root, 'results', 'cache', 'images') });
    expect(diagnostics.faceDetector).toBeNull();
  });

  it('leaves models nobody uses out of the shared session cache', async () => {
    expect(await sessions.peek(byId('a valid ONNX model').path)).toBeUndefined();
  });

  it('diagnoses a model in use through its shared session', async () => {
    const dir = path.join(root, 'in-use');
    const { modelPath } = await writeClassifierModel(dir);
    let created = 0;
    const shared = new SessionCache({
      createSession: (p, o) => {
        created++;
        return InferenceSession.create(p, o);
      },
    });
    const lease = await shared.acquire(modelPath);
    const result = await collectDiagnostics([{ id: 'production', path: modelPath }], { sessions: shared });
    lease.release();
    shared.close();
    expect(result.models[0]).toMatchObject({ loads: true, sha256: lease.model.sha256 });
    expect(created).toBe(1);
  });

  it('diagnoses the configured face detector like a model', async () => {
    const detector = path.join(root, 'detector', 'detector.onnx');
    await mkdir(path.dirname(detector));
    await writeFile(detector, '');
    const result = await collectDiagnostics([], { env: { ANANA_FACE_DETECTOR: detector } });
    expect(result.faceDetector).toMatchObject({ id: 'face-detector', path: detector, format: 'EMPTY', loads: false });
  });
});
