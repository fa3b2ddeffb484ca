import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

// onnx-proto is CommonJS: its namespace is reachable through the default export only.
const { onnx } = onnxProto;

export const ONNX_INPUT_NAME = 'input';
export const ONNX_OUTPUT_NAME = 'probabilities';
/** ONNX Runtime 1.30 runs IR 8 / opset 13 models; newer IR versions buy nothing for four operators. */
const IR_VERSION = 8;
const OPSET_VERSION = 13;
const CHANNELS = 3;

export interface ClassifierOnnxOptions {
  /** K×3: one row per label, one column per normalised channel mean (r, g, b). */
  weights: number[][];
  /** K biases. */
  bias: number[];
  labels: string[];
  /** Side of the square input image; pooling makes the result independent of it. */
  inputSize: number;
  /** Per-channel normalisation the caller applies before the model: (pixel - mean) / std. */
  mean: number[];
  std: number[];
}

/**
 * Builds a small image classifier as an ONNX model:
 * `input` float32 [1,3,S,S] (normalised, NCHW) → GlobalAveragePool → Flatten → Gemm(W, b) → Softmax →
 * `probabilities` float32 [1,K].
 * Labels, input/output names, size, layout and normalisation are also stored in the model's
 * metadata_props, so the file describes itself even without its `model.json` sidecar.
 * @throws RangeError when the shapes of weights, bias, labels, mean or std do not agree.
 */
export function buildClassifierOnnx(opts: ClassifierOnnxOptions): Uint8Array {
  validateOptions(opts);
  const classes = opts.labels.length;
  const graph = onnx.GraphProto.create({
    name: 'anana_colour_classifier',
    node: [
      node('GlobalAveragePool', [ONNX_INPUT_NAME], ['pooled']),
      node('Flatten', ['pooled'], ['features'], [intAttribute('axis', 1)]),
      node('Gemm', ['features', 'weights', 'bias'], ['logits'], [intAttribute('transB', 1)]),
      node('Softmax', ['logits'], [ONNX_OUTPUT_NAME], [intAttribute('axis', 1)]),
    ],
    initializer: [
      floatTensor('weights', [classes, CHANNELS], opts.weights.flat()),
      floatTensor('bias', [classes], opts.bias),
    ],
    input: [floatValueInfo(ONNX_INPUT_NAME, [1, CHANNELS, opts.inputSize, opts.inputSize])],
    output: [floatValueInfo(ONNX_OUTPUT_NAME, [1, classes])],
  });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    producerName: 'anana-example-trainer',
    producerVersion: '1',
    graph,
    metadataProps: Object.entries(modelMetadata(opts)).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** The metadata_props entries (values are JSON or plain strings, as ONNX stores strings only). */
function modelMetadata(opts: ClassifierOnnxOptions): Record<string, string> {
  return {
    labels: JSON.stringify(opts.labels),
    inputName: ONNX_INPUT_NAME,
    outputName: ONNX_OUTPUT_NAME,
    inputSize: String(opts.inputSize),
    layout: 'NCHW',
    mean: JSON.stringify(opts.mean),
    std: JSON.stringify(opts.std),
  };
}

function validateOptions({ weights, bias, labels, inputSize, mean, std }: ClassifierOnnxOptions): void {
  const finite = (values: number[]) => values.every((v) => Number.isFinite(v));
  if (labels.length === 0) throw new RangeError('labels must not be empty');
  if (weights.length !== labels.length || !weights.every((row) => row.length === CHANNELS && finite(row))) {
    throw new RangeError(`weights must be ${labels.length}×${CHANNELS} finite numbers (one row per label)`);
  }
  if (bias.length !== labels.length || !finite(bias)) throw new RangeError(`bias must be ${labels.length} finite numbers`);
  if (!Number.isInteger(inputSize) || inputSize < 1) throw new RangeError(`inputSize must be a positive integer, got ${inputSize}`);
  if (mean.length !== CHANNELS || !finite(mean)) throw new RangeError('mean must be 3 finite numbers');
  if (std.length !== CHANNELS || !std.every((s) => Number.isFinite(s) && s > 0)) throw new RangeError('std must be 3 positive numbers');
}

function node(opType: string, input: string[], output: string[], attribute: OnnxTypes.IAttributeProto[] = []) {
  return onnx.NodeProto.create({ opType, input, output, attribute, name: `${opType}_${output[0]}` });
}

function intAttribute(name: string, value: number): OnnxTypes.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

function floatTensor(name: string, dims: number[], values: number[]): OnnxTypes.ITensorProto {
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: values };
}

function floatValueInfo(name: string, dims: number[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((dimValue) => ({ dimValue })) } } },
  };
}
