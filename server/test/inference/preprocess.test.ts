import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { FaceDetector } from '../../src/inference/face-detector.ts';
import { decodeImage, imageLimits, inspectImageBytes, prepareCrop, preprocess, type CropOptions, type TensorSpec } from '../../src/inference/preprocess.ts';
import { badImages } from './support/bad-images.ts';
import { imageWithPatch, pngDeclaring, rotatedJpeg, solidImage } from './support/images.ts';

const spec: TensorSpec = { inputSize: 8, mean: [0.5, 0.25, 0.2], std: [0.5, 0.25, 0.1], layout: 'NCHW' };

describe('preprocess rejects bad images', () => {
  it.each(badImages)('rejects $name with $code', async ({ bytes, options, code, check }) => {
    const error = await preprocess(await bytes(), { ...options, tensor: spec }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code, ...(check && { details: expect.objectContaining({ check }) }) });
    expect((error as Error).message.length).toBeGreaterThan(10);
  });

  it('refuses a header-declared bomb before decoding, naming both numbers', async () => {
    const bomb = await pngDeclaring(20_000, 20_000);
    await expect(preprocess(bomb, { tensor: spec })).rejects.toThrow(/400,000,000 pixels, over the limit of 40,000,000/);
  });

  it('names SVG when refusing an SVG with an XML prolog and external reference', async () => {
    const svg = '\uFEFF<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><image href="http://example.com/x.png"/></svg>';
    await expect(preprocess(Buffer.from(svg), { tensor: spec })).rejects.toThrow(/SVG/);
  });
});

describe('decoding', () => {
  it('applies EXIF orientation when the JPEG says to rotate', async () => {
    // Left half red, right half blue; orientation 6 turns the left half into the top half.
    const jpeg = await sharp({ create: { width: 60, height: 30, channels: 3, background: { r: 0, g: 0, b: 255 } } })
      .composite([{ input: { create: { width: 30, height: 30, channels: 3, background: { r: 255, g: 0, b: 0 } } }, left: 0, top: 0 }])
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const { header } = await inspectImageBytes(jpeg, imageLimits());
    const { image } = await decodeImage(jpeg, header!, imageLimits());
    const pixel = (x: number, y: number) => [...image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3)];
    expect({ w: image.width, h: image.height, orientation: header!.orientation }).toEqual({ w: 30, h: 60, orientation: 6 });
    expect(pixel(15, 5)[0]).toBeGreaterThan(200);
    expect(pixel(15, 55)[2]).toBeGreaterThan(200);
  });

  it('reports the oriented size as the original', async () => {
    const prepared = await prepareCrop(await rotatedJpeg(80, 40));
    expect(prepared.original).toEqual({ format: 'jpeg', width: 40, height: 80 });
  });

  it('decodes large images at a bounded working size but reports crops in original pixels', async () => {
    const prepared = await prepareCrop(await solidImage(3000, 2000, { r: 10, g: 200, b: 10 }, 'jpeg'), { workingMaxSide: 600 });
    expect(prepared.crop).toMatchObject({ size: 2000, padded: false });
    expect(prepared.cropPixels.width).toBe(400);
  });
});

describe('accepted formats', () => {
  const base = () => sharp({ create: { width: 40, height: 30, channels: 3, background: '#336699' } });
  it.each([
    { name: 'grayscale PNG', make: () => base().grayscale().png().toBuffer(), format: 'png' },
    { name: 'PNG with alpha', make: () => sharp({ create: { width: 40, height: 30, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } } }).png().toBuffer(), format: 'png' },
    { name: '16-bit PNG', make: () => base().png().toColourspace('rgb16').toBuffer(), format: 'png' },
    { name: 'CMYK JPEG', make: () => base().toColourspace('cmyk').jpeg().toBuffer(), format: 'jpeg' },
    { name: 'GIF', make: () => base().gif().toBuffer(), format: 'gif' },
    { name: 'WebP', make: () => base().webp().toBuffer(), format: 'webp' },
    { name: 'TIFF', make: () => base().tiff().toBuffer(), format: 'tiff' },
    { name: 'AVIF', make: () => base().avif().toBuffer(), format: 'heif' },
  ])('decodes a $name to a square RGB crop', async ({ make, format }) => {
    const prepared = await prepareCrop(await make());
    expect(prepared.original).toEqual({ format, width: 40, height: 30 });
    expect(prepared.cropPixels.data).toHaveLength(30 * 30 * 3);
  });
});

describe('face location', () => {
  const fixed = (box: { x: number; y: number; width: number; height: number } | null): FaceDetector => ({ name: 'fixed', detect: async () => box });
  const failing: FaceDetector = {
    name: 'broken',
    detect: async () => {
      throw new Error('detector exploded');
    },
  };

  it.each([
    { name: 'a square image without detector', size: [64, 64], detector: null, method: 'fallback-center', outcome: 'not-configured' },
    { name: 'a wide image without detector', size: [300, 100], detector: null, method: 'fallback-attention', outcome: 'not-configured' },
    { name: 'a detector that finds a face', size: [300, 100], detector: fixed({ x: 40, y: 30, width: 20, height: 20 }), method: 'onnx-detector', outcome: 'found' },
    { name: 'a detector that finds none', size: [300, 100], detector: fixed(null), method: 'fallback-attention', outcome: 'not-found' },
    { name: 'a detector that fails', size: [64, 64], detector: failing, method: 'fallback-center', outcome: 'failed' },
  ] as const)('reports $method for $name', async ({ size, detector, method, outcome }) => {
    const prepared = await prepareCrop(await imageWithPatch(size[0], size[1], { left: 5, top: 5, size: 20 }), { detector });
    expect(prepared.faceMethod).toBe(method);
    expect(prepared.face.detector).toBe(outcome);
  });

  it('keeps the detector error when it fails', async () => {
    const prepared = await prepareCrop(await solidImage(40, 40, { r: 1, g: 2, b: 3 }), { detector: failing });
    expect(prepared.face.detectorError).toBe('detector exploded');
  });

  it('centres the attention crop on the salient patch of a wide image', async () => {
    const prepared = await prepareCrop(await imageWithPatch(400, 100, { left: 330, top: 30, size: 40 }));
    expect(prepared.crop.size).toBe(100);
    expect(prepared.crop.x).toBeGreaterThan(230);
    expect(prepared.crop.x).toBeLessThanOrEqual(300);
  });

  it('grows a detected face by the margin and keeps it inside the image', async () => {
    const prepared = await prepareCrop(await solidImage(200, 100, { r: 1, g: 2, b: 3 }), { detector: fixed({ x: 0, y: 0, width: 40, height: 40 }), detectorMargin: 0.25 });
    expect(prepared.crop).toMatchObject({ x: 0, y: 0, size: 60, padded: false });
  });

  it('pads a thin image so the crop is still square', async () => {
    const prepared = await prepareCrop(await solidImage(200, 10, { r: 1, g: 2, b: 3 }), {
      detector: fixed({ x: 0, y: 0, width: 100, height: 10 }),
      detectorMargin: 0,
      limits: { minSide: 1 },
    });
    const meta = await sharp(prepared.cropPng).metadata();
    expect(prepared.crop).toMatchObject({ size: 100, padded: true, pad: { top: 45, bottom: 45, left: 0, right: 0 } });
    expect([meta.width, meta.height]).toEqual([100, 100]);
  });
});

describe('normalisation', () => {
  it.each(['NCHW', 'NHWC'] as const)('writes (pixel/255 - mean)/std per channel in %s', async (layout) => {
    const color = { r: 255, g: 0, b: 51 };
    const result = await preprocess(await solidImage(32, 32, color), { tensor: { ...spec, layout } });
    const expected = [(255 / 255 - 0.5) / 0.5, (0 / 255 - 0.25) / 0.25, (51 / 255 - 0.2) / 0.1];
    const plane = 8 * 8;
    const at = (c: number, i: number) => (layout === 'NCHW' ? result.tensorData[c * plane + i] : result.tensorData[i * 3 + c]);
    expect(result.tensorData).toHaveLength(3 * plane);
    expect(result.dims).toEqual(layout === 'NCHW' ? [1, 3, 8, 8] : [1, 8, 8, 3]);
    for (const i of [0, 17, plane - 1]) {
      for (let c = 0; c < 3; c++) expect(at(c, i)).toBeCloseTo(expected[c]!, 5);
    }
  });

  it('reports timings for every stage', async () => {
    const result = await preprocess(await solidImage(32, 32, { r: 1, g: 2, b: 3 }), { tensor: spec } satisfies CropOptions & { tensor: TensorSpec });
    const { decodeMs, faceMs, cropMs, tensorMs, totalMs } = result.timings;
    expect([decodeMs, faceMs, cropMs, tensorMs].every((t) => t >= 0)).toBe(true);
    expect(totalMs).toBeCloseTo(decodeMs + faceMs + cropMs + tensorMs, 5);
  });
});
