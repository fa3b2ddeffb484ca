/** What the first bytes of an upload say it is, before any decoder sees it. */
export type SniffedFormat =
  | { kind: 'raster'; format: RasterFormat }
  | { kind: 'vector'; format: 'svg' | 'pdf' | 'postscript' | 'markup' }
  | { kind: 'unknown' };

export type RasterFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'heif';

/** The formats accepted, as sharp's `metadata().format` names them (AVIF is decoded as `heif`). */
export const RASTER_FORMATS: ReadonlySet<string> = new Set<RasterFormat>(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

const HEIF_BRANDS = new Set(['avif', 'avis', 'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);

/**
 * Identifies an upload by its magic bytes. Only raster formats pass: vector and markup formats (SVG above
 * all) are recognised so they can be refused by name, since they can pull in external files and URLs.
 */
export function sniffImageFormat(bytes: Uint8Array): SniffedFormat {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4096));
  const ascii = (start: number, end: number) => b.toString('latin1', start, end);
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { kind: 'raster', format: 'jpeg' };
  if (b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return { kind: 'raster', format: 'png' };
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return { kind: 'raster', format: 'webp' };
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return { kind: 'raster', format: 'gif' };
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return { kind: 'raster', format: 'tiff' };
  if (ascii(4, 8) === 'ftyp' && HEIF_BRANDS.has(ascii(8, 12))) return { kind: 'raster', format: 'heif' };
  if (ascii(0, 5) === '%PDF-') return { kind: 'vector', format: 'pdf' };
  if (ascii(0, 4) === '%!PS') return { kind: 'vector', format: 'postscript' };
  const text = b.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('<')) return { kind: 'vector', format: /<svg[\s>]/i.test(text) ? 'svg' : 'markup' };
  return { kind: 'unknown' };
}
