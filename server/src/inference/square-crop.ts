import { InferenceError } from './errors.ts';

/** An axis-aligned box in image pixels; it may reach past the image's edges. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Padding {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/**
 * A square region to cut. `left`/`top` are in the padded image: the image extended by `pad` on each
 * side. Padding is only ever added on an axis where the image is shorter than the square.
 */
export interface SquareCrop {
  left: number;
  top: number;
  size: number;
  pad: Padding;
}

export interface SquareCropOptions {
  /** Context added on each side of the face, as a fraction of its longer side. Default 0. */
  margin?: number;
}

/**
 * Grows a face box into a square that stays inside the image, so downstream models never see a
 * stretched face.
 *
 * Rules, in order:
 * 1. The box is clipped to the image (integer pixels, rounded outwards).
 * 2. The square's side is the clipped box's longer side plus `margin` on each side, but no more than the
 *    image's shorter side, and never less than the clipped box (so the face is never cut). A box that
 *    misses the image entirely, or has no area, gets a square of the image's shorter side.
 * 3. The square is centred on the box, then slid along each axis until it lies inside the image.
 * 4. Only where the image is shorter than the square (very thin images with a wide face) is it padded,
 *    on that axis, by exactly the shortfall, split to keep the face centred.
 */
export function squareCrop(box: Box, imageWidth: number, imageHeight: number, options: SquareCropOptions = {}): SquareCrop {
  if (!Number.isInteger(imageWidth) || !Number.isInteger(imageHeight) || imageWidth < 1 || imageHeight < 1) {
    throw new InferenceError('INVALID_INPUT', `image size must be positive integers, got ${imageWidth}×${imageHeight}`);
  }
  if (![box.x, box.y, box.width, box.height].every(Number.isFinite)) {
    throw new InferenceError('INVALID_INPUT', `face box must be finite numbers, got ${JSON.stringify(box)}`);
  }
  const margin = options.margin ?? 0;
  if (!Number.isFinite(margin) || margin < 0) throw new InferenceError('INVALID_INPUT', `margin must be a number ≥ 0, got ${margin}`);

  const xs = clipSpan(box.x, box.width, imageWidth);
  const ys = clipSpan(box.y, box.height, imageHeight);
  const faceSide = Math.max(xs.end - xs.start, ys.end - ys.start);
  const shorter = Math.min(imageWidth, imageHeight);
  const size =
    faceSide === 0 ? shorter : Math.max(faceSide, Math.min(Math.ceil(faceSide * (1 + 2 * margin)), shorter));

  const x = placeOnAxis(xs, size, imageWidth);
  const y = placeOnAxis(ys, size, imageHeight);
  return { left: x.offset, top: y.offset, size, pad: { top: y.before, left: x.before, bottom: y.after, right: x.after } };
}

interface Span {
  start: number;
  end: number;
  centre: number;
}

function clipSpan(origin: number, extent: number, length: number): Span {
  const lo = Math.min(origin, origin + extent);
  const hi = Math.max(origin, origin + extent);
  const start = clamp(Math.floor(lo), 0, length);
  const end = clamp(Math.ceil(hi), 0, length);
  return { start, end, centre: clamp((lo + hi) / 2, 0, length) };
}

/** Where the square goes on one axis: its offset in the padded axis and the padding before/after. */
function placeOnAxis(span: Span, size: number, length: number): { offset: number; before: number; after: number } {
  const ideal = Math.round(span.centre - size / 2);
  if (size <= length) {
    // Any start in [lo, hi] keeps both the face and the square inside the image; that range is never empty
    // because the face is inside the image and no longer than the square.
    const lo = Math.max(0, span.end - size);
    const hi = Math.min(length - size, span.start);
    return { offset: clamp(ideal, lo, hi), before: 0, after: 0 };
  }
  const start = clamp(ideal, length - size, 0);
  return { offset: 0, before: 0 - start, after: size - length + start };
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}
