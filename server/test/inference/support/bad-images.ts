import type { CropOptions } from '../../../src/inference/preprocess.ts';
import { noisyJpeg, pngDeclaring, solidImage } from './images.ts';

export interface BadImage {
  name: string;
  bytes: () => Promise<Buffer>;
  options?: CropOptions;
  code: 'INVALID_INPUT' | 'PAYLOAD_TOO_LARGE';
  /** The check that must fail; absent where the whole request is refused. */
  check?: 'size' | 'format' | 'dimensions' | 'pixels' | 'decode';
}

/** Built on first use and shared, so the large ones are encoded once per test file. */
function once(make: () => Promise<Buffer>): () => Promise<Buffer> {
  let made: Promise<Buffer> | undefined;
  return () => (made ??= make());
}

/** Every kind of upload analysis must refuse, with the code and the failed check it must name. */
export const badImages: BadImage[] = [
  { name: 'text that is not an image', bytes: async () => Buffer.from('hello, this is not an image at all'), code: 'INVALID_INPUT', check: 'format' },
  { name: 'a zero-byte file', bytes: async () => Buffer.alloc(0), code: 'INVALID_INPUT', check: 'size' },
  {
    name: 'a truncated JPEG',
    bytes: once(async () => {
      const jpeg = await noisyJpeg(200, 200);
      return jpeg.subarray(0, Math.floor(jpeg.length / 2));
    }),
    code: 'INVALID_INPUT',
    check: 'decode',
  },
  { name: 'a PNG header declaring 20000×20000', bytes: once(() => pngDeclaring(20_000, 20_000)), code: 'INVALID_INPUT', check: 'pixels' },
  {
    name: 'a real 7000×6000 PNG compressed small',
    bytes: once(() => solidImage(7000, 6000, { r: 255, g: 255, b: 255 })),
    code: 'INVALID_INPUT',
    check: 'pixels',
  },
  {
    name: 'a real 1200×1000 PNG under a 1 MP limit',
    bytes: once(() => solidImage(1200, 1000, { r: 9, g: 9, b: 9 })),
    options: { limits: { maxPixels: 1_000_000 } },
    code: 'INVALID_INPUT',
    check: 'pixels',
  },
  { name: 'an upload over the byte limit', bytes: once(() => solidImage(64, 64, { r: 1, g: 1, b: 1 })), options: { limits: { maxBytes: 50 } }, code: 'PAYLOAD_TOO_LARGE' },
  {
    name: 'an SVG with an external reference',
    bytes: async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><image href="file:///etc/passwd" width="64" height="64"/></svg>'),
    code: 'INVALID_INPUT',
    check: 'format',
  },
  { name: 'an HTML page', bytes: async () => Buffer.from('<!doctype html><html><body>502 Bad Gateway</body></html>'), code: 'INVALID_INPUT', check: 'format' },
  { name: 'an 8×8 image', bytes: once(() => solidImage(8, 8, { r: 1, g: 1, b: 1 })), code: 'INVALID_INPUT', check: 'dimensions' },
];
