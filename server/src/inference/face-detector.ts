import { Tensor } from 'onnxruntime-node';
import sharp from 'sharp';
import { InferenceError } from './errors.ts';
import type { SessionCache } from './session-cache.ts';
import type { Box } from './square-crop.ts';

/** Decoded pixels: 3 interleaved channels (RGB), `width * height * 3` bytes. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

export interface DetectedFace extends Box {
  score?: number;
}

/** Anything that can find the most prominent face in an image; `null` when there is none. */
export interface FaceDetector {
  readonly name: string;
  detect(image: RgbImage): Promise<DetectedFace | null>;
}

export interface OnnxFaceDetectorOptions {
  modelPath: string;
  sessions: SessionCache;
  /** Minimum face probability. Default 0.7 (UltraFace's own default). */
  threshold?: number;
  /** Used when the model's input height/width are symbolic. Default 240×320 (UltraFace RFB-320). */
  fallbackInputSize?: { width: number; height: number };
}

/**
 * A face detector in the UltraFace convention (e.g. `version-RFB-320.onnx`):
 * - input: float32 `[1, 3, H, W]`, RGB, each value `(pixel - 127) / 128`; H and W are read from the model;
 * - outputs: `scores` `[1, N, 2]` (background, face probabilities) and `boxes` `[1, N, 4]`, corners
 *   `x1, y1, x2, y2` as fractions of the input's width/height. Outputs with other names are matched by
 *   their last dimension (2 for scores, 4 for boxes).
 * The image is stretched to W×H, so the fractional boxes map straight back onto it. The best-scoring box
 * over the threshold wins; no NMS is needed because only one face is used.
 */
export class OnnxFaceDetector implements FaceDetector {
  readonly name = 'onnx-detector';
  private readonly threshold: number;

  constructor(private readonly options: OnnxFaceDetectorOptions) {
    this.threshold = options.threshold ?? 0.7;
  }

  /** @throws InferenceError MODEL_UNAVAILABLE when the detector model does not load or has the wrong outputs. */
  async detect(image: RgbImage): Promise<DetectedFace | null> {
    return this.options.sessions.run(this.options.modelPath, async (model) => {
      const input = model.inputs[0];
      if (!input) throw new InferenceError('MODEL_UNAVAILABLE', `face detector ${model.path} declares no input`);
      const [, , h, w] = input.shape;
      const height = typeof h === 'number' && h > 0 ? h : (this.options.fallbackInputSize?.height ?? 240);
      const width = typeof w === 'number' && w > 0 ? w : (this.options.fallbackInputSize?.width ?? 320);
      const pixels = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
        .resize(width, height, { fit: 'fill' })
        .raw()
        .toBuffer();
      const plane = width * height;
      const data = new Float32Array(3 * plane);
      for (let i = 0; i < plane; i++) {
        for (let c = 0; c < 3; c++) data[c * plane + i] = (pixels[i * 3 + c]! - 127) / 128;
      }
      const outputs = await model.session.run({ [input.name]: new Tensor('float32', data, [1, 3, height, width]) });
      const pick = (name: string, lastDim: number) =>
        outputs[name] ?? Object.values(outputs).find((t) => 'dims' in t && t.dims.at(-1) === lastDim);
      const scores = pick('scores', 2);
      const boxes = pick('boxes', 4);
      if (!scores || !boxes || !('data' in scores) || !('data' in boxes)) {
        throw new InferenceError('MODEL_UNAVAILABLE', `face detector ${model.path} must output "scores" [1,N,2] and "boxes" [1,N,4]`);
      }
      const s = scores.data as Float32Array;
      const b = boxes.data as Float32Array;
      let best = -1;
      for (let i = 0; i * 2 + 1 < s.length && i * 4 + 3 < b.length; i++) {
        if (s[i * 2 + 1]! >= this.threshold && (best < 0 || s[i * 2 + 1]! > s[best * 2 + 1]!)) best = i;
      }
      if (best < 0) return null;
      const [x1, y1, x2, y2] = [b[best * 4]!, b[best * 4 + 1]!, b[best * 4 + 2]!, b[best * 4 + 3]!];
      return {
        x: x1 * image.width,
        y: y1 * image.height,
        width: (x2 - x1) * image.width,
        height: (y2 - y1) * image.height,
        score: s[best * 2 + 1]!,
      };
    });
  }
}

/**
 * The detector `ANANA_FACE_DETECTOR` names (a path to an UltraFace-style ONNX model), or `null` when the
 * variable is unset, in which case faces are located by the documented fallback.
 */
export function faceDetectorFromEnv(sessions: SessionCache, env: Record<string, string | undefined> = process.env): FaceDetector | null {
  const modelPath = env.ANANA_FACE_DETECTOR?.trim();
  return modelPath ? new OnnxFaceDetector({ modelPath, sessions }) : null;
}
