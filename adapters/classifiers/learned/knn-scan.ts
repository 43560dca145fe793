/**
 * Exact top-k search over the kNN's labeled vectors, run by onnxruntime-node: a two-node ONNX graph,
 * `TopK(MatMul(query, matrixᵀ), k)`, whose inputs are the queries [batch, dim], the transposed matrix
 * [dim, rows] (kept in memory as one tensor) and k. The optimised MatMul scans 5,235 × 256 floats in
 * ~0.3 ms, against ~1.9 ms for the JavaScript loop of {@link topKNeighbours} (training keeps that loop).
 * ONNX's TopK puts the lower index first among equal scores, as {@link topKNeighbours} does; scores are
 * float32 sums here, float64 there, so weights can differ in the 7th digit.
 */
import type * as Ort from 'onnxruntime-node';
import { loadedOnnxRuntime, loadOnnxRuntime } from '../../../embeddings/optional-packages.js';
import type { Neighbour } from './knn.js';

const INPUT_QUERY = 'query';
const INPUT_MATRIX = 'matrix_t';
const INPUT_K = 'k';

/** The serialised graph (no weights: the matrix is an input). Deterministic. */
export async function buildKnnScanOnnx(): Promise<Uint8Array> {
  // The ONNX writer pulls in protobufjs: loaded only when a kNN artefact is.
  const { encodeOnnxModel, OnnxDataType } = await import('../../../embeddings/distill/onnx-proto.js');
  return encodeOnnxModel({
    irVersion: 8,
    opset: 17,
    producerName: 'tollgate',
    producerVersion: '1',
    docString: 'Tollgate kNN: exact top-k cosine neighbours of unit query vectors.',
    metadata: {},
    graph: {
      name: 'knn_scan',
      initializer: [],
      node: [
        { opType: 'MatMul', input: [INPUT_QUERY, INPUT_MATRIX], output: ['scores'], name: 'MatMul_scores' },
        { opType: 'TopK', input: ['scores', INPUT_K], output: ['top_scores', 'top_rows'], name: 'TopK_rows' },
      ],
      input: [
        { name: INPUT_QUERY, elemType: OnnxDataType.FLOAT, shape: ['batch', 'dim'] },
        { name: INPUT_MATRIX, elemType: OnnxDataType.FLOAT, shape: ['dim', 'rows'] },
        { name: INPUT_K, elemType: OnnxDataType.INT64, shape: [1] },
      ],
      output: [
        { name: 'top_scores', elemType: OnnxDataType.FLOAT, shape: ['batch', 'k'] },
        { name: 'top_rows', elemType: OnnxDataType.INT64, shape: ['batch', 'k'] },
      ],
    },
  });
}

export class KnnScan {
  private constructor(
    private readonly session: Ort.InferenceSession,
    private readonly matrix: Ort.Tensor,
    private readonly dim: number,
    readonly rows: number,
  ) {}

  /** `matrix`: row-major [rows, dim] unit vectors (copied, transposed). */
  static async create(matrix: Float32Array, dim: number): Promise<KnnScan> {
    const rows = matrix.length / dim;
    const t = new Float32Array(matrix.length);
    for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) t[j * rows + r] = matrix[r * dim + j]!;
    const ort = await loadOnnxRuntime();
    const session = await ort.InferenceSession.create(await buildKnnScanOnnx(), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    return new KnnScan(session, new ort.Tensor('float32', t, [dim, rows]), dim, rows);
  }

  /** The `k` best rows for each query, best first. */
  async topK(queries: readonly Float32Array[], k: number): Promise<Neighbour[][]> {
    const size = Math.min(k, this.rows);
    if (!queries.length || size <= 0) return queries.map(() => []);
    const flat = new Float32Array(queries.length * this.dim);
    queries.forEach((q, i) => flat.set(q, i * this.dim));
    const ort = loadedOnnxRuntime();
    const out = await this.session.run({
      [INPUT_QUERY]: new ort.Tensor('float32', flat, [queries.length, this.dim]),
      [INPUT_MATRIX]: this.matrix,
      [INPUT_K]: new ort.Tensor('int64', BigInt64Array.of(BigInt(size)), [1]),
    });
    const scores = out.top_scores!.data as Float32Array;
    const rows = out.top_rows!.data as BigInt64Array;
    return queries.map((_, i) => Array.from({ length: size }, (_, j) => ({ row: Number(rows[i * size + j]!), score: scores[i * size + j]! })));
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
