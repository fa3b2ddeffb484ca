import { crc32 } from 'node:zlib';
import sharp from 'sharp';

export type Color = { r: number; g: number; b: number };

/** A solid image in the given format. */
export function solidImage(width: number, height: number, color: Color, format: 'png' | 'jpeg' | 'webp' = 'png'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: color } }).toFormat(format).toBuffer();
}

/** A noisy JPEG (so it has real entropy-coded data to cut). */
export function noisyJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg().toBuffer();
}

/** A JPEG whose pixels are `width`×`height` but whose EXIF says "rotate 90° clockwise to view" (orientation 6). */
export function rotatedJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/**
 * A real 1×1 PNG whose IHDR is rewritten to declare `width`×`height` (CRC fixed): a decompression bomb's
 * header, a few dozen bytes long.
 */
export async function pngDeclaring(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await solidImage(1, 1, { r: 0, g: 0, b: 0 }));
  // Signature (8) + length (4) + "IHDR" (4), then width and height, then the rest of IHDR and its CRC.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

/** A coloured square on a dark background, to give saliency something to find. */
export function imageWithPatch(width: number, height: number, patch: { left: number; top: number; size: number }): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 15, g: 15, b: 15 } } })
    .composite([
      {
        input: { create: { width: patch.size, height: patch.size, channels: 3, background: { r: 230, g: 170, b: 140 } } },
        left: patch.left,
        top: patch.top,
      },
    ])
    .png()
    .toBuffer();
}
