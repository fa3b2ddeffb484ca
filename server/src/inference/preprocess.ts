import sharp, { type Metadata } from 'sharp';
import { InferenceError, errorMessage } from './errors.ts';
import type { FaceDetector, RgbImage } from './face-detector.ts';
import { locateFace, type DetectorOutcome, type FaceMethod } from './face-locator.ts';
import { RASTER_FORMATS, sniffImageFormat } from './image-format.ts';
import { squareCrop, type Box, type Padding } from './square-crop.ts';

export interface ImageLimits {
  /** Upload size; more is PAYLOAD_TOO_LARGE. */
  maxBytes: number;
  /** Decompression-bomb guard: width × height the header may declare. */
  maxPixels: number;
  /** Shortest side accepted, in pixels. */
  minSide: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = { maxBytes: 20 * 1024 * 1024, maxPixels: 40_000_000, minSide: 16 };

export type ImageCheckName = 'size' | 'format' | 'dimensions' | 'pixels' | 'decode' | 'face' | 'square_crop';

export interface ImageCheck {
  name: ImageCheckName;
  ok: boolean;
  message: string;
}

/** Header facts; width and height are after EXIF orientation. */
export interface ImageHeader {
  format: string;
  width: number;
  height: number;
  orientation: number;
}

/** How the model wants its input (from the model's sidecar). */
export interface TensorSpec {
  inputSize: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  layout: 'NCHW' | 'NHWC';
}

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export interface CropOptions {
  limits?: Partial<ImageLimits>;
  detector?: FaceDetector | null;
  /** Context around a detected face, as a fraction of its longer side. Default 0.25. */
  detectorMargin?: number;
  /** Images are decoded no larger than this on their longer side (shrink-on-load keeps large photos cheap). Default 1024. */
  workingMaxSide?: number;
  /** Side of the cached crop; smaller crops keep their size. Default 512. */
  cropMaxSide?: number;
  /** Fill for padding; default the ImageNet mean, which normalises to about zero for most models. */
  padColor?: Rgb;
}

/** The square crop in the oriented original image's pixels; `x`/`y` are negative where padding was added. */
export interface CropReport {
  x: number;
  y: number;
  size: number;
  padded: boolean;
  pad: Padding;
}

export interface PreparedCrop {
  original: { format: string; width: number; height: number };
  faceMethod: FaceMethod;
  face: { box: Box; detector: DetectorOutcome; score?: number; detectorError?: string };
  crop: CropReport;
  /** The square crop as PNG: what the image cache stores and what the model sees. */
  cropPng: Buffer;
  /** The same pixels, raw RGB, `cropSide` × `cropSide`. */
  cropPixels: RgbImage;
  timings: { decodeMs: number; faceMs: number; cropMs: number };
}

export interface PreprocessResult extends PreparedCrop {
  tensorData: Float32Array;
  dims: number[];
  timings: PreparedCrop['timings'] & { tensorMs: number; totalMs: number };
}

export const DEFAULT_PAD_COLOR: Rgb = { r: 124, g: 116, b: 104 };
const DEFAULT_WORKING_MAX_SIDE = 1024;
const DEFAULT_CROP_MAX_SIDE = 512;
const DEFAULT_DETECTOR_MARGIN = 0.25;

/** The limits in force: defaults overridden by what the caller set. */
export function imageLimits(overrides: Partial<ImageLimits> = {}): ImageLimits {
  return { ...DEFAULT_IMAGE_LIMITS, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
}

/**
 * The checks that need only the bytes and the header: size, format, dimensions, pixel count.
 * Image problems come back as failed checks; the header is `null` when it could not be read.
 * @throws InferenceError PAYLOAD_TOO_LARGE when the upload is over `limits.maxBytes`.
 */
export async function inspectImageBytes(bytes: Uint8Array, limits: ImageLimits): Promise<{ checks: ImageCheck[]; header: ImageHeader | null }> {
  if (bytes.byteLength > limits.maxBytes) {
    throw new InferenceError('PAYLOAD_TOO_LARGE', `the image is ${bytes.byteLength} bytes; the limit is ${limits.maxBytes}`, {
      size: bytes.byteLength,
      limit: limits.maxBytes,
    });
  }
  if (bytes.byteLength === 0) {
    return { checks: [check('size', false, 'the file is empty (0 bytes)')], header: null };
  }
  const checks = [check('size', true, `${bytes.byteLength} bytes (limit ${limits.maxBytes})`)];
  const sniffed = sniffImageFormat(bytes);
  if (sniffed.kind === 'vector') {
    const what = sniffed.format === 'svg' ? 'an SVG image' : sniffed.format === 'markup' ? 'an XML/HTML document' : `a ${sniffed.format.toUpperCase()} document`;
    checks.push(check('format', false, `${what} was sent: vector and markup images are refused (they can load external files and URLs); send a JPEG, PNG, WebP, GIF, TIFF or AVIF`));
    return { checks, header: null };
  }
  if (sniffed.kind === 'unknown') {
    checks.push(check('format', false, `not an image: the bytes (starting ${Buffer.from(bytes.subarray(0, 8)).toString('hex')}) match no supported format (JPEG, PNG, WebP, GIF, TIFF, AVIF)`));
    return { checks, header: null };
  }
  let metadata: Metadata;
  try {
    // Only the header is read here; the pixel limit is checked below, with a clearer message than libvips gives.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    checks.push(check('format', false, `looks like ${sniffed.format} but its header cannot be read: ${errorMessage(error)}`));
    return { checks, header: null };
  }
  if (!RASTER_FORMATS.has(metadata.format)) {
    checks.push(check('format', false, `decoded as ${metadata.format}, which is not accepted`));
    return { checks, header: null };
  }
  const header: ImageHeader = {
    format: metadata.format,
    width: metadata.autoOrient?.width ?? metadata.width,
    height: metadata.autoOrient?.height ?? metadata.height,
    orientation: metadata.orientation ?? 1,
  };
  checks.push(check('format', true, header.format));
  const small = Math.min(header.width, header.height) < limits.minSide;
  checks.push(
    check('dimensions', !small, `${header.width}×${header.height} px${small ? `; both sides must be at least ${limits.minSide} px` : ''}`),
  );
  const pixels = header.width * header.height;
  const tooMany = pixels > limits.maxPixels;
  checks.push(
    check('pixels', !tooMany, tooMany
      ? `the header declares ${pixels.toLocaleString('en')} pixels, over the limit of ${limits.maxPixels.toLocaleString('en')} (decompression-bomb guard)`
      : `${pixels.toLocaleString('en')} pixels (limit ${limits.maxPixels.toLocaleString('en')})`),
  );
  return { checks, header };
}

/**
 * Decodes the pixels: EXIF orientation applied, alpha flattened, sRGB, 3 channels, shrunk so the longer
 * side is at most `workingMaxSide`. Truncated or corrupt data fails the `decode` check.
 * @throws InferenceError INVALID_INPUT (details.check = 'decode' | 'pixels').
 */
export async function decodeImage(bytes: Uint8Array, header: ImageHeader, limits: ImageLimits, workingMaxSide = DEFAULT_WORKING_MAX_SIDE): Promise<{ image: RgbImage; scale: number }> {
  const scale = Math.min(1, workingMaxSide / Math.max(header.width, header.height));
  let pipeline = sharp(bytes, { failOn: 'error', limitInputPixels: limits.maxPixels }).autoOrient();
  if (scale < 1) {
    pipeline = pipeline.resize(Math.max(1, Math.round(header.width * scale)), Math.max(1, Math.round(header.height * scale)), { fit: 'fill' });
  }
  try {
    const { data, info } = await pipeline.flatten({ background: '#ffffff' }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { image: { data, width: info.width, height: info.height }, scale: info.width / header.width };
  } catch (error) {
    const message = errorMessage(error);
    if (/pixel limit/i.test(message)) throw invalid('pixels', `the image exceeds the pixel limit of ${limits.maxPixels}`);
    throw invalid('decode', `the image data is truncated or corrupt: ${message}`);
  }
}

/**
 * Everything up to the model's tensor: checks, decode, face, square crop (padded only where the image
 * is too thin), and the crop as PNG.
 * @throws InferenceError PAYLOAD_TOO_LARGE, or INVALID_INPUT naming the failed check in `details.check`.
 */
export async function prepareCrop(bytes: Uint8Array, options: CropOptions = {}): Promise<PreparedCrop> {
  const limits = imageLimits(options.limits);
  const started = performance.now();
  const { checks, header } = await inspectImageBytes(bytes, limits);
  const failed = checks.find((c) => !c.ok);
  if (failed || !header) throw invalid(failed?.name ?? 'format', failed?.message ?? 'unreadable image', { checks });
  const { image, scale } = await decodeImage(bytes, header, limits, options.workingMaxSide);
  const decoded = performance.now();
  const face = await locateFace(image, options.detector ?? null, { detectorMargin: options.detectorMargin ?? DEFAULT_DETECTOR_MARGIN });
  const located = performance.now();
  const cut = await cutSquare(image, face.box, face.margin, options);
  const unscale = (v: number) => Math.round(v / scale);
  return {
    original: { format: header.format, width: header.width, height: header.height },
    faceMethod: face.method,
    face: {
      box: { x: unscale(face.box.x), y: unscale(face.box.y), width: unscale(face.box.width), height: unscale(face.box.height) },
      detector: face.detector,
      ...(face.score !== undefined && { score: face.score }),
      ...(face.detectorError !== undefined && { detectorError: face.detectorError }),
    },
    crop: {
      x: unscale(cut.region.x),
      y: unscale(cut.region.y),
      size: unscale(cut.region.size),
      padded: cut.padded,
      pad: { top: unscale(cut.pad.top), left: unscale(cut.pad.left), bottom: unscale(cut.pad.bottom), right: unscale(cut.pad.right) },
    },
    cropPng: cut.png,
    cropPixels: cut.pixels,
    timings: { decodeMs: decoded - started, faceMs: located - decoded, cropMs: performance.now() - located },
  };
}

/**
 * The full preprocessing for a model: {@link prepareCrop}, then the crop resized to the model's input
 * size and normalised (`(pixel / 255 - mean) / std`) into a Float32Array in the model's layout.
 */
export async function preprocess(bytes: Uint8Array, options: CropOptions & { tensor: TensorSpec }): Promise<PreprocessResult> {
  const prepared = await prepareCrop(bytes, options);
  const started = performance.now();
  const tensorData = await tensorFromSquare(prepared.cropPixels, options.tensor);
  const tensorMs = performance.now() - started;
  const { decodeMs, faceMs, cropMs } = prepared.timings;
  return {
    ...prepared,
    tensorData,
    dims: tensorDims(options.tensor),
    timings: { decodeMs, faceMs, cropMs, tensorMs, totalMs: decodeMs + faceMs + cropMs + tensorMs },
  };
}

/**
 * Decodes a crop this server stored (already square) into the model tensor, skipping face location,
 * so that re-analysing a cached image feeds the model exactly the pixels the first analysis did.
 * @throws InferenceError INVALID_INPUT when the bytes are not a square image.
 */
export async function preprocessCachedCrop(png: Uint8Array, tensor: TensorSpec): Promise<{ tensorData: Float32Array; dims: number[]; timings: { decodeMs: number; tensorMs: number } }> {
  const started = performance.now();
  let pixels: RgbImage;
  try {
    const { data, info } = await sharp(png, { failOn: 'error' }).flatten({ background: '#ffffff' }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    pixels = { data, width: info.width, height: info.height };
  } catch (error) {
    throw invalid('decode', `the cached crop cannot be decoded: ${errorMessage(error)}`);
  }
  if (pixels.width !== pixels.height) throw invalid('square_crop', `the cached crop is ${pixels.width}×${pixels.height}, not square`);
  const decoded = performance.now();
  const tensorData = await tensorFromSquare(pixels, tensor);
  return { tensorData, dims: tensorDims(tensor), timings: { decodeMs: decoded - started, tensorMs: performance.now() - decoded } };
}

/** Normalises interleaved RGB bytes of a `side`×`side` image into the model's layout. */
export function normalizePixels(rgb: Uint8Array, side: number, spec: Pick<TensorSpec, 'mean' | 'std' | 'layout'>): Float32Array {
  const plane = side * side;
  const out = new Float32Array(3 * plane);
  // (p / 255 - mean) / std folded into one multiply-add per value.
  const gain = spec.std.map((s) => 1 / (255 * s));
  const offset = spec.mean.map((m, c) => m / spec.std[c]!);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const value = rgb[i * 3 + c]! * gain[c]! - offset[c]!;
      if (spec.layout === 'NCHW') out[c * plane + i] = value;
      else out[i * 3 + c] = value;
    }
  }
  return out;
}

function tensorDims(spec: TensorSpec): number[] {
  return spec.layout === 'NCHW' ? [1, 3, spec.inputSize, spec.inputSize] : [1, spec.inputSize, spec.inputSize, 3];
}

async function tensorFromSquare(square: RgbImage, spec: TensorSpec): Promise<Float32Array> {
  const side = spec.inputSize;
  const pixels =
    square.width === side
      ? square.data
      : await sharp(square.data, { raw: { width: square.width, height: square.height, channels: 3 } }).resize(side, side, { fit: 'fill' }).raw().toBuffer();
  return normalizePixels(pixels, side, spec);
}

interface CutSquare {
  /** In working-image pixels; `x`/`y` negative where padding was added before. */
  region: { x: number; y: number; size: number };
  pad: Padding;
  padded: boolean;
  png: Buffer;
  pixels: RgbImage;
}

async function cutSquare(image: RgbImage, box: Box, margin: number, options: CropOptions): Promise<CutSquare> {
  const crop = squareCrop(box, image.width, image.height, { margin });
  const { pad, size } = crop;
  const region = { x: crop.left - pad.left, y: crop.top - pad.top, size };
  const padded = pad.top + pad.left + pad.bottom + pad.right > 0;
  const color = options.padColor ?? DEFAULT_PAD_COLOR;
  const side = Math.min(size, options.cropMaxSide ?? DEFAULT_CROP_MAX_SIDE);
  let squared = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    // Padding only exists on an axis the square spans entirely, so the extracted part is the square minus its padding.
    .extract({ left: Math.max(0, region.x), top: Math.max(0, region.y), width: size - pad.left - pad.right, height: size - pad.top - pad.bottom });
  if (padded) squared = squared.extend({ ...pad, background: { ...color, alpha: 1 } });
  let data = await squared.raw().toBuffer();
  if (side !== size) {
    data = await sharp(data, { raw: { width: size, height: size, channels: 3 } }).resize(side, side, { fit: 'fill' }).raw().toBuffer();
  }
  const pixels = { data, width: side, height: side };
  const png = await sharp(data, { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 3 }).toBuffer();
  return { region, pad, padded, png, pixels };
}

function check(name: ImageCheckName, ok: boolean, message: string): ImageCheck {
  return { name, ok, message };
}

function invalid(checkName: ImageCheckName, message: string, extra: Record<string, unknown> = {}): InferenceError {
  return new InferenceError('INVALID_INPUT', message, { check: checkName, ...extra });
}
