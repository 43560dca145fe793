/**
 * Builds the ONNX graph of a static (model2vec-style) sentence embedder, opset 17:
 * Gather(token table, input_ids) → mean over positions where attention_mask = 1 → L2 normalise.
 * Inputs `input_ids` and `attention_mask` (int64, [batch, sequence]); output `sentence_embedding`
 * (float, [batch, dimension]). An all-padding row yields a zero vector, never NaN.
 */
import { encodeOnnxModel, OnnxAttributeType, OnnxDataType, type OnnxNode, type OnnxTensor } from './onnx-proto.js';

export interface StaticModelGraphOptions {
  /** Row-major [vocabSize × dimension] table (weights already folded in). */
  table: Float32Array;
  vocabSize: number;
  dimension: number;
  producerVersion: string;
  docString: string;
  metadata: Record<string, string>;
}

function int64Tensor(name: string, values: number[]): OnnxTensor {
  const raw = new BigInt64Array(values.map((v) => BigInt(v)));
  return { name, dims: [values.length], dataType: OnnxDataType.INT64, rawData: new Uint8Array(raw.buffer) };
}

function floatScalar(name: string, value: number): OnnxTensor {
  return { name, dims: [], dataType: OnnxDataType.FLOAT, rawData: new Uint8Array(new Float32Array([value]).buffer) };
}

function node(opType: string, input: string[], output: string, attribute?: OnnxNode['attribute']): OnnxNode {
  return { opType, input, output: [output], name: `${opType}_${output}`, ...(attribute ? { attribute } : {}) };
}

/** Returns the serialised `model.onnx` bytes. */
export function buildStaticModelOnnx(options: StaticModelGraphOptions): Uint8Array {
  const { table, vocabSize, dimension } = options;
  if (table.length !== vocabSize * dimension) throw new Error('table size does not match vocabSize × dimension');
  const tableBytes = new Uint8Array(table.buffer, table.byteOffset, table.byteLength);
  const nodes: OnnxNode[] = [
    node('Gather', ['token_table', 'input_ids'], 'token_vectors', [{ name: 'axis', type: OnnxAttributeType.INT, i: 0 }]),
    node('Cast', ['attention_mask'], 'mask_float', [{ name: 'to', type: OnnxAttributeType.INT, i: OnnxDataType.FLOAT }]),
    node('Unsqueeze', ['mask_float', 'axis_last'], 'mask_3d'),
    node('Mul', ['token_vectors', 'mask_3d'], 'masked_vectors'),
    node('ReduceSum', ['masked_vectors', 'axis_sequence'], 'summed', [{ name: 'keepdims', type: OnnxAttributeType.INT, i: 0 }]),
    node('ReduceSum', ['mask_3d', 'axis_sequence'], 'token_count', [{ name: 'keepdims', type: OnnxAttributeType.INT, i: 0 }]),
    node('Max', ['token_count', 'one'], 'token_count_safe'),
    node('Div', ['summed', 'token_count_safe'], 'mean_vector'),
    node('ReduceL2', ['mean_vector'], 'norm', [
      { name: 'axes', type: OnnxAttributeType.INTS, ints: [-1] },
      { name: 'keepdims', type: OnnxAttributeType.INT, i: 1 },
    ]),
    node('Max', ['norm', 'epsilon'], 'norm_safe'),
    node('Div', ['mean_vector', 'norm_safe'], 'sentence_embedding'),
  ];
  return encodeOnnxModel({
    irVersion: 8,
    opset: 17,
    producerName: 'tollgate-distill',
    producerVersion: options.producerVersion,
    docString: options.docString,
    metadata: options.metadata,
    graph: {
      name: 'static_sentence_embedder',
      node: nodes,
      initializer: [
        { name: 'token_table', dims: [vocabSize, dimension], dataType: OnnxDataType.FLOAT, rawData: tableBytes },
        int64Tensor('axis_last', [-1]),
        int64Tensor('axis_sequence', [1]),
        floatScalar('one', 1),
        floatScalar('epsilon', 1e-12),
      ],
      input: [
        { name: 'input_ids', elemType: OnnxDataType.INT64, shape: ['batch', 'sequence'] },
        { name: 'attention_mask', elemType: OnnxDataType.INT64, shape: ['batch', 'sequence'] },
      ],
      output: [{ name: 'sentence_embedding', elemType: OnnxDataType.FLOAT, shape: ['batch', dimension] }],
    },
  });
}
