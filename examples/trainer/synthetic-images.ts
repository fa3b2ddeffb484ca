import { Random } from './random.ts';

export const CLASS_LABELS = ['red', 'green', 'blue'] as const;
/** Side of the generated images; the model pools over space, so it accepts any input size. */
export const SYNTHETIC_IMAGE_SIZE = 32;
/** Normalisation the model expects: (pixel in [0,1] - mean) / std, per channel. */
export const NORMALISATION = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } as const;

/** Typical colour (r, g, b in [0,1]) of each class; per-image jitter makes the classes overlap a little. */
const PROTOTYPES: readonly (readonly [number, number, number])[] = [
  [0.7, 0.38, 0.35],
  [0.37, 0.66, 0.4],
  [0.35, 0.42, 0.7],
];
const IMAGE_JITTER = 0.12;
const GRADIENT_SPREAD = 0.2;
const PIXEL_NOISE = 0.08;

export interface Dataset {
  /** Per image: the three features the ONNX graph computes (normalised channel means). */
  features: number[][];
  /** Class index per image. */
  labels: number[];
}

/**
 * A colourful 32×32 picture of class `label`, as float32 CHW in [0,1]: the class colour with a random
 * tint, a random linear gradient across the image and pixel noise.
 */
export function syntheticImage(rng: Random, label: number, size = SYNTHETIC_IMAGE_SIZE): Float32Array {
  const pixels = new Float32Array(3 * size * size);
  for (let channel = 0; channel < 3; channel++) {
    const base = PROTOTYPES[label][channel] + IMAGE_JITTER * rng.normal();
    const slopeX = GRADIENT_SPREAD * rng.normal();
    const slopeY = GRADIENT_SPREAD * rng.normal();
    const plane = channel * size * size;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const value = base + slopeX * (x / size - 0.5) + slopeY * (y / size - 0.5) + PIXEL_NOISE * rng.normal();
        pixels[plane + y * size + x] = Math.min(1, Math.max(0, value));
      }
    }
  }
  return pixels;
}

/**
 * The model's features for an image: the mean of each normalised channel, i.e. exactly what the
 * graph's GlobalAveragePool computes, so the trained weights mean the same inside ONNX.
 */
export function channelFeatures(pixels: Float32Array, size: number): number[] {
  const area = size * size;
  return [0, 1, 2].map((channel) => {
    let sum = 0;
    for (let i = channel * area; i < (channel + 1) * area; i++) sum += pixels[i];
    return (sum / area - NORMALISATION.mean[channel]) / NORMALISATION.std[channel];
  });
}

/** `count` images with balanced classes, in a seed-determined order. */
export function generateDataset(rng: Random, count: number, size = SYNTHETIC_IMAGE_SIZE): Dataset {
  const labels = rng.shuffle(Array.from({ length: count }, (_, i) => i % CLASS_LABELS.length));
  const features = labels.map((label) => channelFeatures(syntheticImage(rng, label, size), size));
  return { features, labels };
}
