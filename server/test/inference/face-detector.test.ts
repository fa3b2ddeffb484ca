import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxFaceDetector, faceDetectorFromEnv } from '../../src/inference/face-detector.ts';
import { prepareCrop } from '../../src/inference/preprocess.ts';
import { SessionCache } from '../../src/inference/session-cache.ts';
import { buildFixedDetectorOnnx, type DetectorFace } from './support/detector-model.ts';
import { solidImage } from './support/images.ts';

let root: string;
const sessions = new SessionCache();

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'anana-detector-'));
});
afterAll(async () => {
  sessions.close();
  await rm(root, { recursive: true, force: true });
});

async function detectorWith(name: string, faces: DetectorFace[]): Promise<OnnxFaceDetector> {
  const modelPath = path.join(root, `${name}.onnx`);
  await writeFile(modelPath, buildFixedDetectorOnnx({ height: 24, width: 32, faces }));
  return new OnnxFaceDetector({ modelPath, sessions });
}

const image = { data: Buffer.alloc(200 * 100 * 3, 128), width: 200, height: 100 };

describe('OnnxFaceDetector', () => {
  it('returns the best face over the threshold in image pixels', async () => {
    const detector = await detectorWith('two-faces', [
      { box: [0.1, 0.1, 0.2, 0.3], score: 0.8 },
      { box: [0.5, 0.2, 0.7, 0.6], score: 0.95 },
      { box: [0, 0, 1, 1], score: 0.3 },
    ]);
    const face = await detector.detect(image);
    expect(face).toEqual({ x: expect.closeTo(100, 3), y: expect.closeTo(20, 3), width: expect.closeTo(40, 3), height: expect.closeTo(40, 3), score: expect.closeTo(0.95, 5) });
  });

  it('returns null when no score reaches the threshold', async () => {
    const detector = await detectorWith('no-face', [{ box: [0.1, 0.1, 0.5, 0.5], score: 0.4 }]);
    expect(await detector.detect(image)).toBeNull();
  });

  it('drives the crop when configured through ANANA_FACE_DETECTOR', async () => {
    await detectorWith('env', [{ box: [0.75, 0.25, 0.95, 0.65], score: 0.99 }]);
    const detector = faceDetectorFromEnv(sessions, { ANANA_FACE_DETECTOR: path.join(root, 'env.onnx') });
    const prepared = await prepareCrop(await solidImage(200, 100, { r: 50, g: 60, b: 70 }), { detector, detectorMargin: 0 });
    expect(prepared).toMatchObject({ faceMethod: 'onnx-detector', face: { detector: 'found' }, crop: { x: 150, y: 25, size: 40 } });
  });

  it('falls back and reports the failure when the detector model is broken', async () => {
    const broken = path.join(root, 'broken.onnx');
    await writeFile(broken, '<html>login</html>');
    const prepared = await prepareCrop(await solidImage(64, 64, { r: 1, g: 2, b: 3 }), { detector: new OnnxFaceDetector({ modelPath: broken, sessions }) });
    expect(prepared).toMatchObject({ faceMethod: 'fallback-center', face: { detector: 'failed', detectorError: expect.stringContaining('HTML') } });
  });

  it('is not configured without ANANA_FACE_DETECTOR', () => {
    expect(faceDetectorFromEnv(sessions, {})).toBeNull();
  });
});
