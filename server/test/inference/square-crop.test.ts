import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { FaceDetector } from '../../src/inference/face-detector.ts';
import { prepareCrop } from '../../src/inference/preprocess.ts';
import { squareCrop, type Box, type SquareCrop } from '../../src/inference/square-crop.ts';
import { mulberry32, type Random } from './support/random.ts';

/** Width/height pairs from 1 px up, with aspect ratios from 1:60 to 60:1. */
function randomImageSize(random: Random, maxSide: number): { width: number; height: number } {
  const long = Math.max(1, Math.round(Math.exp(random() * Math.log(maxSide))));
  const ratio = Math.exp((random() * 2 - 1) * Math.log(60));
  const short = Math.max(1, Math.round(long / Math.max(ratio, 1 / ratio)));
  return ratio >= 1 ? { width: long, height: short } : { width: short, height: long };
}

/** Boxes anywhere: inside, touching each edge, overflowing each edge, outside, degenerate, reversed. */
function randomBox(random: Random, width: number, height: number): Box {
  const span = (length: number): [number, number] => {
    const kind = Math.floor(random() * 7);
    const extent = random() * length * (random() < 0.2 ? 3 : 1);
    switch (kind) {
      case 0: return [0, extent]; // touching the start
      case 1: return [length - extent, extent]; // touching the end
      case 2: return [-random() * length, extent + length * random()]; // overflowing the start
      case 3: return [length - extent * random(), extent + length]; // overflowing the end
      case 4: return [random() < 0.5 ? -2 * length - extent : 2 * length, extent]; // outside entirely
      case 5: return [random() * length, 0]; // no extent
      default: return [random() * length, random() < 0.1 ? -extent : extent]; // anywhere, sometimes reversed
    }
  };
  const [x, w] = span(width);
  const [y, h] = span(height);
  return { x, y, width: w, height: h };
}

/** The face box clipped to the image, rounded outwards, as the contract states it. */
function clipped(box: Box, width: number, height: number) {
  const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  const x0 = clamp(Math.floor(Math.min(box.x, box.x + box.width)), width);
  const x1 = clamp(Math.ceil(Math.max(box.x, box.x + box.width)), width);
  const y0 = clamp(Math.floor(Math.min(box.y, box.y + box.height)), height);
  const y1 = clamp(Math.ceil(Math.max(box.y, box.y + box.height)), height);
  return { x0, x1, y0, y1 };
}

/** Every property a crop must have; returns the first one broken, or null. */
function brokenProperty(crop: SquareCrop, box: Box, width: number, height: number): string | null {
  const { left, top, size, pad } = crop;
  const numbers = [left, top, size, pad.top, pad.left, pad.bottom, pad.right];
  if (!numbers.every(Number.isInteger)) return 'all values are integers';
  if (size < 1) return 'size ≥ 1';
  if (numbers.some((n) => n < 0)) return 'no negative offset or padding';
  const paddedWidth = width + pad.left + pad.right;
  const paddedHeight = height + pad.top + pad.bottom;
  if (left + size > paddedWidth || top + size > paddedHeight) return 'the square lies inside the padded image';
  if (pad.left + pad.right > 0 && paddedWidth !== size) return 'horizontal padding only makes up a shortfall';
  if (pad.top + pad.bottom > 0 && paddedHeight !== size) return 'vertical padding only makes up a shortfall';
  const face = clipped(box, width, height);
  const faceSide = Math.max(face.x1 - face.x0, face.y1 - face.y0);
  if (faceSide > 0) {
    if (face.x0 + pad.left < left || face.x1 + pad.left > left + size) return 'the clipped face is inside horizontally';
    if (face.y0 + pad.top < top || face.y1 + pad.top > top + size) return 'the clipped face is inside vertically';
  }
  if (faceSide <= Math.min(width, height) && numbers.slice(3).some((n) => n > 0)) return 'no padding when the face fits the short side';
  if (size > Math.max(Math.min(width, height), faceSide)) return 'never larger than needed';
  return null;
}

describe('squareCrop', () => {
  it('keeps every property over 20,000 random images, faces and margins', () => {
    const random = mulberry32(0x5eed);
    for (let i = 0; i < 20_000; i++) {
      const { width, height } = randomImageSize(random, 5000);
      const box = randomBox(random, width, height);
      const margin = random() < 0.2 ? 0 : random();
      const crop = squareCrop(box, width, height, { margin });
      const broken = brokenProperty(crop, box, width, height);
      // One assertion that names the case, so a failure can be replayed by hand.
      expect(broken, JSON.stringify({ i, width, height, box, margin, crop })).toBeNull();
    }
  });

  it.each([
    { name: 'centres a small face in a large image', box: { x: 90, y: 90, width: 20, height: 20 }, w: 200, h: 200, margin: 0.5, want: { left: 80, top: 80, size: 40 } },
    { name: 'slides the square inward when the face touches the left edge', box: { x: 0, y: 40, width: 20, height: 20 }, w: 100, h: 100, margin: 1, want: { left: 0, top: 20, size: 60 } },
    { name: 'limits the square to the short side of a wide image', box: { x: 140, y: 10, width: 40, height: 40 }, w: 300, h: 60, margin: 1, want: { left: 130, top: 0, size: 60 } },
    { name: 'pads a thin image whose face is wider than it is tall', box: { x: 0, y: 0, width: 50, height: 10 }, w: 100, h: 10, margin: 0, want: { left: 0, top: 0, size: 50, pad: { top: 20, left: 0, bottom: 20, right: 0 } } },
    { name: 'uses the short side for a box outside the image', box: { x: 500, y: 500, width: 10, height: 10 }, w: 80, h: 40, margin: 0, want: { left: 40, top: 0, size: 40 } },
  ])('$name', ({ box, w, h, margin, want }) => {
    expect(squareCrop(box, w, h, { margin })).toMatchObject(want);
  });

  it.each([
    { name: 'a zero-width image', args: [{ x: 0, y: 0, width: 1, height: 1 }, 0, 10] },
    { name: 'a fractional image size', args: [{ x: 0, y: 0, width: 1, height: 1 }, 10.5, 10] },
    { name: 'a NaN box', args: [{ x: Number.NaN, y: 0, width: 1, height: 1 }, 10, 10] },
  ] as const)('refuses $name with INVALID_INPUT', ({ args }) => {
    expect(() => squareCrop(...(args as unknown as [Box, number, number]))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('square crops of real images', () => {
  it('produces a square PNG for random sizes, aspect ratios and face boxes', async () => {
    const random = mulberry32(42);
    for (let i = 0; i < 30; i++) {
      const { width, height } = randomImageSize(random, 900);
      const box = randomBox(random, width, height);
      const detector: FaceDetector = { name: 'fixed', detect: async () => box };
      const image = await sharp({ create: { width, height, channels: 3, background: { r: 90, g: 60, b: 30 } } }).png().toBuffer();
      const prepared = await prepareCrop(image, { detector: random() < 0.7 ? detector : null, limits: { minSide: 1 } });
      const { width: w, height: h } = await sharp(prepared.cropPng).metadata();
      expect({ i, width, height, crop: [w, h] }).toEqual({ i, width, height, crop: [w, w] });
      expect(prepared.crop.size).toBeGreaterThanOrEqual(1);
    }
  });
});
