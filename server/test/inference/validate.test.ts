import { describe, expect, it } from 'vitest';
import type { FaceDetector } from '../../src/inference/face-detector.ts';
import { validateImage } from '../../src/inference/validate.ts';
import { badImages } from './support/bad-images.ts';
import { imageWithPatch, rotatedJpeg, solidImage } from './support/images.ts';

const ALL_CHECKS = ['size', 'format', 'dimensions', 'pixels', 'decode', 'face', 'square_crop'];

describe('validateImage', () => {
  it('passes every check, in order, for a good image', async () => {
    const result = await validateImage(await imageWithPatch(320, 200, { left: 200, top: 50, size: 60 }));
    expect(result.checks.map((c) => c.name)).toEqual(ALL_CHECKS);
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result).toMatchObject({ ok: true, format: 'png', width: 320, height: 200, faceMethod: 'fallback-attention', crop: { size: 200 } });
  });

  it('reports the size after EXIF orientation', async () => {
    const result = await validateImage(await rotatedJpeg(90, 30));
    expect([result.width, result.height]).toEqual([30, 90]);
  });

  it.each(badImages.filter((b) => b.code === 'INVALID_INPUT'))('names the failed $check check for $name instead of throwing', async ({ bytes, options, check }) => {
    const result = await validateImage(await bytes(), options);
    expect(result.ok).toBe(false);
    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toContain(check);
  });

  it('names every failed header check at once', async () => {
    const result = await validateImage(await solidImage(8, 8, { r: 0, g: 0, b: 0 }), { limits: { maxPixels: 10 } });
    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['dimensions', 'pixels']);
  });

  it('throws PAYLOAD_TOO_LARGE for an upload over the byte limit', async () => {
    const bytes = await solidImage(64, 64, { r: 1, g: 1, b: 1 });
    await expect(validateImage(bytes, { limits: { maxBytes: 10 } })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('fails the face check when the configured detector finds no face', async () => {
    const none: FaceDetector = { name: 'none', detect: async () => null };
    const result = await validateImage(await solidImage(64, 64, { r: 1, g: 1, b: 1 }), { detector: none });
    expect(result.checks.find((c) => c.name === 'face')).toMatchObject({ ok: false, message: expect.stringContaining('no face') });
    expect(result.checks.find((c) => c.name === 'square_crop')?.ok).toBe(true);
    expect(result.ok).toBe(false);
  });
});
