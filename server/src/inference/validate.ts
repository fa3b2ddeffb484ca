import sharp from 'sharp';
import { InferenceError } from './errors.ts';
import type { FaceMethod } from './face-locator.ts';
import { imageLimits, inspectImageBytes, prepareCrop, type CropOptions, type CropReport, type ImageCheck, type ImageCheckName } from './preprocess.ts';

export interface ValidationResult {
  /** True when every check passed. */
  ok: boolean;
  /** The checks that ran, in order; a check is skipped (absent) only when an earlier one made it impossible. */
  checks: ImageCheck[];
  format: string | null;
  width: number | null;
  height: number | null;
  faceMethod: FaceMethod | null;
  crop: CropReport | null;
}

/**
 * Runs every check analysis would and names each one that fails, without a model: size, format,
 * dimensions, pixel count, decoding, face, and that the crop is square. Image problems never throw.
 * @throws InferenceError PAYLOAD_TOO_LARGE only, so that an oversized upload is refused like everywhere else.
 */
export async function validateImage(bytes: Uint8Array, options: CropOptions = {}): Promise<ValidationResult> {
  const limits = imageLimits(options.limits);
  const { checks, header } = await inspectImageBytes(bytes, limits);
  const result: ValidationResult = {
    ok: false,
    checks,
    format: header?.format ?? null,
    width: header?.width ?? null,
    height: header?.height ?? null,
    faceMethod: null,
    crop: null,
  };
  if (!header || checks.some((c) => !c.ok)) return result;

  let prepared;
  try {
    prepared = await prepareCrop(bytes, { ...options, limits });
  } catch (error) {
    if (!(error instanceof InferenceError) || error.code !== 'INVALID_INPUT') throw error;
    checks.push({ name: (error.details?.check as ImageCheckName | undefined) ?? 'decode', ok: false, message: error.message });
    return result;
  }
  checks.push({ name: 'decode', ok: true, message: `decoded ${header.width}×${header.height} (EXIF orientation ${header.orientation} applied)` });

  const { face, faceMethod } = prepared;
  const faceMessages: Record<typeof face.detector, string> = {
    found: `face found by the ONNX detector${face.score !== undefined ? ` (score ${face.score.toFixed(3)})` : ''}`,
    'not-found': `the face detector found no face; analysis would use the ${faceMethod} fallback`,
    failed: `the face detector failed (${face.detectorError}); analysis would use the ${faceMethod} fallback`,
    'not-configured': `no face detector configured (ANANA_FACE_DETECTOR); region chosen by ${faceMethod}`,
  };
  checks.push({ name: 'face', ok: face.detector === 'found' || face.detector === 'not-configured', message: faceMessages[face.detector] });

  // Measured on the encoded crop itself, not on the numbers that produced it.
  const { width, height } = await sharp(prepared.cropPng).metadata();
  checks.push({
    name: 'square_crop',
    ok: width === height,
    message: `${width}×${height} crop at (${prepared.crop.x}, ${prepared.crop.y}) of side ${prepared.crop.size} in the original${prepared.crop.padded ? ', padded' : ''}`,
  });

  return { ...result, ok: checks.every((c) => c.ok), faceMethod, crop: prepared.crop };
}
