import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildClassifierOnnx, type ClassifierOnnxOptions } from '../trainer/onnx-model.ts';

const { onnx } = onnxProto;

function options(overrides: Partial<ClassifierOnnxOptions> = {}): ClassifierOnnxOptions {
  return {
    weights: [
      [2, -1, 0.5],
      [-1, 1.5, 0],
      [0, -0.5, 1],
    ],
    bias: [0.1, -0.2, 0.3],
    labels: ['red', 'green', 'blue'],
    inputSize: 8,
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
    ...overrides,
  };
}

/** An NCHW image whose every pixel of channel c equals values[c]. */
function constantImage(values: number[], size: number): ort.Tensor {
  const data = new Float32Array(3 * size * size);
  values.forEach((value, channel) => data.fill(value, channel * size * size, (channel + 1) * size * size));
  return new ort.Tensor('float32', data, [1, 3, size, size]);
}

/** softmax(W·x + b), computed independently of ONNX. */
function expectedProbabilities(weights: number[][], bias: number[], x: number[]): number[] {
  const logits = weights.map((row, k) => row.reduce((sum, w, i) => sum + w * x[i], bias[k]));
  const exps = logits.map((l) => Math.exp(l - Math.max(...logits)));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

async function run(opts: ClassifierOnnxOptions, pixel: number[]): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(buildClassifierOnnx(opts));
  try {
    const outputs = await session.run({ input: constantImage(pixel, opts.inputSize) });
    return outputs.probabilities;
  } finally {
    await session.release();
  }
}

describe('buildClassifierOnnx', () => {
  it('declares input `input` [1,3,S,S] and output `probabilities` [1,K] to onnxruntime', async () => {
    const session = await ort.InferenceSession.create(buildClassifierOnnx(options({ inputSize: 64 })));
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['probabilities']);
    expect(session.inputMetadata[0]).toMatchObject({ isTensor: true, type: 'float32', shape: [1, 3, 64, 64] });
    expect(session.outputMetadata[0]).toMatchObject({ isTensor: true, type: 'float32', shape: [1, 3] });
    await session.release();
  });

  it.each([
    { name: 'three classes on an 8×8 image', opts: options(), pixel: [0.9, -0.3, 0.1] },
    { name: 'a 1×1 image', opts: options({ inputSize: 1 }), pixel: [-1, 1, 0.25] },
    {
      name: 'two classes',
      opts: options({ weights: [[1, 2, 3], [-3, -2, -1]], bias: [0, 1], labels: ['yes', 'no'] }),
      pixel: [0.2, 0.4, -0.6],
    },
    {
      name: 'five classes on a 32×32 image',
      opts: options({
        weights: [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [-1, -1, -1]],
        bias: [0, 0, 0, -0.5, 0.5],
        labels: ['a', 'b', 'c', 'd', 'e'],
        inputSize: 32,
      }),
      pixel: [0.3, 0.6, -0.9],
    },
  ])('computes softmax(W·mean + b) for $name', async ({ opts, pixel }) => {
    const output = await run(opts, pixel);
    expect(output.dims).toEqual([1, opts.labels.length]);
    const expected = expectedProbabilities(opts.weights, opts.bias, pixel);
    Array.from(output.data as Float32Array).forEach((p, k) => expect(p).toBeCloseTo(expected[k], 5));
  });

  it('averages over the image, so a non-constant image equals its channel means', async () => {
    const opts = options({ inputSize: 2 });
    // Channel 0 holds 1, 0, 0, 1 (mean 0.5); channels 1 and 2 are constant.
    const data = Float32Array.from([1, 0, 0, 1, -0.2, -0.2, -0.2, -0.2, 0.7, 0.7, 0.7, 0.7]);
    const session = await ort.InferenceSession.create(buildClassifierOnnx(opts));
    const { probabilities } = await session.run({ input: new ort.Tensor('float32', data, [1, 3, 2, 2]) });
    await session.release();
    const expected = expectedProbabilities(opts.weights, opts.bias, [0.5, -0.2, 0.7]);
    Array.from(probabilities.data as Float32Array).forEach((p, k) => expect(p).toBeCloseTo(expected[k], 5));
  });

  it('writes IR 8, opset 13 and the sidecar fields into metadata_props', () => {
    const model = onnx.ModelProto.decode(buildClassifierOnnx(options({ inputSize: 64 })));
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => Number(o.version))).toEqual([13]);
    expect(model.graph?.node?.map((n) => n.opType)).toEqual(['GlobalAveragePool', 'Flatten', 'Gemm', 'Softmax']);
    const metadata = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    expect(metadata).toEqual({
      labels: '["red","green","blue"]',
      inputName: 'input',
      outputName: 'probabilities',
      inputSize: '64',
      layout: 'NCHW',
      mean: '[0.5,0.5,0.5]',
      std: '[0.5,0.5,0.5]',
    });
  });

  it.each([
    { name: 'no labels', overrides: { labels: [], weights: [], bias: [] } },
    { name: 'a weight row of the wrong length', overrides: { weights: [[1, 2], [0, 0, 0], [0, 0, 0]] } },
    { name: 'fewer weight rows than labels', overrides: { weights: [[1, 2, 3]] } },
    { name: 'a non-finite weight', overrides: { weights: [[Number.NaN, 0, 0], [0, 0, 0], [0, 0, 0]] } },
    { name: 'a bias of the wrong length', overrides: { bias: [0] } },
    { name: 'a zero input size', overrides: { inputSize: 0 } },
    { name: 'a fractional input size', overrides: { inputSize: 1.5 } },
    { name: 'two mean values', overrides: { mean: [0.5, 0.5] } },
    { name: 'a zero std', overrides: { std: [0.5, 0, 0.5] } },
  ])('throws RangeError for $name', ({ overrides }) => {
    expect(() => buildClassifierOnnx(options(overrides))).toThrow(RangeError);
  });
});
