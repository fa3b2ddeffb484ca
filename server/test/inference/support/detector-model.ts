import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export interface DetectorFace {
  /** Corners as fractions of the image: x1, y1, x2, y2. */
  box: [number, number, number, number];
  score: number;
}

/**
 * A stand-in for an UltraFace-style detector: same input and outputs (`input` [1,3,H,W] → `scores` [1,N,2],
 * `boxes` [1,N,4]), but the detections are constants, so a test knows exactly where the "face" is.
 */
export function buildFixedDetectorOnnx(opts: { height: number; width: number; faces: DetectorFace[] }): Uint8Array {
  const n = opts.faces.length;
  const float = onnx.TensorProto.DataType.FLOAT;
  const valueInfo = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: float, shape: { dim: dims.map((dimValue) => ({ dimValue })) } } } });
  const graph = onnx.GraphProto.create({
    name: 'fixed_face_detector',
    node: [
      onnx.NodeProto.create({ opType: 'Identity', input: ['scores_value'], output: ['scores'] }),
      onnx.NodeProto.create({ opType: 'Identity', input: ['boxes_value'], output: ['boxes'] }),
    ],
    initializer: [
      { name: 'scores_value', dims: [1, n, 2], dataType: float, floatData: opts.faces.flatMap((f) => [1 - f.score, f.score]) },
      { name: 'boxes_value', dims: [1, n, 4], dataType: float, floatData: opts.faces.flatMap((f) => f.box) },
    ],
    input: [valueInfo('input', [1, 3, opts.height, opts.width])],
    output: [valueInfo('scores', [1, n, 2]), valueInfo('boxes', [1, n, 4])],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], producerName: 'anana-tests', graph });
  return onnx.ModelProto.encode(model).finish();
}
