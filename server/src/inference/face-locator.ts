import sharp from 'sharp';
import { errorMessage } from './errors.ts';
import type { FaceDetector, RgbImage } from './face-detector.ts';
import type { Box } from './square-crop.ts';

/** How the face region was chosen; every analysis and validation reports it. */
export type FaceMethod = 'onnx-detector' | 'fallback-attention' | 'fallback-center';

/** What the configured detector did: its absence, a hit, a miss, or an error (then the fallback was used). */
export type DetectorOutcome = 'not-configured' | 'found' | 'not-found' | 'failed';

export interface FaceLocation {
  box: Box;
  method: FaceMethod;
  detector: DetectorOutcome;
  score?: number;
  detectorError?: string;
  /** Context to add around the box: detector boxes hug the face, fallback regions already include context. */
  margin: number;
}

export interface LocateOptions {
  /** Context added around a detected face, as a fraction of its longer side. Default 0.25. */
  detectorMargin?: number;
}

/** Short side at which saliency is computed: plenty for picking a region, cheap on large photos. */
const ATTENTION_ANALYSIS_SIDE = 256;

/**
 * Finds the face region: the detector's best face when a detector is configured and finds one,
 * otherwise the documented fallback — the square of the image's shorter side that sharp's `attention`
 * strategy picks (the most salient region: skin tones, saturation, luminance frequency), or the whole
 * image when it is already square (`fallback-center`), which is also the answer when saliency fails.
 * Never throws for a detector failure; the failure is reported and the fallback used.
 */
export async function locateFace(image: RgbImage, detector: FaceDetector | null, options: LocateOptions = {}): Promise<FaceLocation> {
  let outcome: DetectorOutcome = 'not-configured';
  let detectorError: string | undefined;
  if (detector) {
    try {
      const face = await detector.detect(image);
      if (face && face.width > 0 && face.height > 0) {
        const { score, ...box } = face;
        return { box, method: 'onnx-detector', detector: 'found', margin: options.detectorMargin ?? 0.25, ...(score !== undefined && { score }) };
      }
      outcome = 'not-found';
    } catch (error) {
      outcome = 'failed';
      detectorError = errorMessage(error);
    }
  }
  return { ...(await fallbackRegion(image)), detector: outcome, margin: 0, ...(detectorError !== undefined && { detectorError }) };
}

async function fallbackRegion(image: RgbImage): Promise<{ box: Box; method: FaceMethod }> {
  const side = Math.min(image.width, image.height);
  const centred = {
    box: { x: Math.floor((image.width - side) / 2), y: Math.floor((image.height - side) / 2), width: side, height: side },
    method: 'fallback-center' as const,
  };
  if (image.width === image.height) return centred;
  try {
    const target = Math.min(side, ATTENTION_ANALYSIS_SIDE);
    const scale = target / side;
    const { info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .resize(target, target, { fit: 'cover', position: 'attention' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    // sharp reports where it cut, negated, in the scaled image's pixels.
    const x = clampOffset(-(info.cropOffsetLeft ?? 0) / scale, image.width - side);
    const y = clampOffset(-(info.cropOffsetTop ?? 0) / scale, image.height - side);
    return { box: { x, y, width: side, height: side }, method: 'fallback-attention' };
  } catch {
    return centred;
  }
}

function clampOffset(value: number, max: number): number {
  return Math.min(max, Math.max(0, Math.round(value)));
}
