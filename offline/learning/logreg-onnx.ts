/**
 * Exports per-model logistic-regression heads as one ONNX graph (opset 17):
 * `quality = Sigmoid(MatMul(embedding, W) + b)`, input `embedding` float [batch, dimension], output
 * `quality` float [batch, models] (column j = model j of the manifest). Written with the embeddings
 * subsystem's ONNX writer (embeddings/distill/onnx-proto.ts), which needs the dev dependency protobufjs:
 * only training imports this file (dynamically), never the request path.
 */
import { encodeOnnxModel, OnnxDataType, type OnnxNode } from '../../embeddings/index.js';
import type { LogRegModel } from './logreg.js';

export const HEAD_INPUT = 'embedding';
export const HEAD_OUTPUT = 'quality';

/** Serialised `head.onnx` bytes for heads that all share the input `dimension`. Deterministic. */
export function buildLogRegOnnx(heads: readonly LogRegModel[], dimension: number, metadata: Record<string, string>): Uint8Array {
  const m = heads.length;
  const w = new Float32Array(dimension * m);
  const b = new Float32Array(m);
  heads.forEach((h, j) => {
    if (h.weights.length !== dimension) throw new RangeError(`head ${j} has ${h.weights.length} weights, expected ${dimension}`);
    for (let i = 0; i < dimension; i++) w[i * m + j] = h.weights[i]!;
    b[j] = h.bias;
  });
  const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const node = (opType: string, input: string[], output: string): OnnxNode => ({ opType, input, output: [output], name: `${opType}_${output}` });
  return encodeOnnxModel({
    irVersion: 8,
    opset: 17,
    producerName: 'tollgate-train',
    producerVersion: '1',
    docString: 'Tollgate learned classifier: per-model logistic regression on prompt embeddings.',
    metadata,
    graph: {
      name: 'logreg_quality_head',
      node: [node('MatMul', [HEAD_INPUT, 'W'], 'logits_raw'), node('Add', ['logits_raw', 'b'], 'logits'), node('Sigmoid', ['logits'], HEAD_OUTPUT)],
      initializer: [
        { name: 'W', dims: [dimension, m], dataType: OnnxDataType.FLOAT, rawData: bytes(w) },
        { name: 'b', dims: [m], dataType: OnnxDataType.FLOAT, rawData: bytes(b) },
      ],
      input: [{ name: HEAD_INPUT, elemType: OnnxDataType.FLOAT, shape: ['batch', dimension] }],
      output: [{ name: HEAD_OUTPUT, elemType: OnnxDataType.FLOAT, shape: ['batch', m] }],
    },
  });
}
