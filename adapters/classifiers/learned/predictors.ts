/**
 * Run-time predictors behind the learned classifier: each maps prompt embeddings to per-model success
 * probabilities (columns in the manifest's model order). Both verify what they load against the
 * manifest and throw {@link ClassifierArtifactError} when it does not fit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type * as lancedb from '@lancedb/lancedb';
import { tableName } from '../../../embeddings/lancedb-store.js';
import { loadedOnnxRuntime, loadLanceDb, loadOnnxRuntime } from '../../../embeddings/optional-packages.js';
import { ClassifierArtifactError } from './artifact-error.js';
import { type ArtifactManifest, sha256 } from './artifact.js';
import { knnEstimate } from './knn.js';
import { KnnScan } from './knn-scan.js';

export const KNN_TENANT = '_tollgate_train';
export const KNN_DIR = 'knn.lance';
export const KNN_LABELS = 'knn-labels.json';
export const HEAD_FILE = 'head.onnx';

export interface QualityPredictor {
  predict(vectors: readonly Float32Array[]): Promise<number[][]>;
  close(): Promise<void>;
}

/** Logistic-regression heads exported as ONNX, run with onnxruntime-node (one session, reused). */
export class OnnxHeadPredictor implements QualityPredictor {
  private constructor(private readonly session: Ort.InferenceSession, private readonly dimension: number) {}

  static async load(dir: string, m: ArtifactManifest): Promise<OnnxHeadPredictor> {
    const ort = await loadOnnxRuntime();
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(readFileSync(join(dir, HEAD_FILE)), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    } catch (err) {
      throw new ClassifierArtifactError(dir, `${HEAD_FILE} is not a loadable ONNX model (${(err as Error).message.split('\n')[0]})`);
    }
    const dim = m.embedder.dimension + (m.features?.names.length ?? 0);
    const p = new OnnxHeadPredictor(session, dim);
    let probe: number[][];
    try {
      probe = await p.predict([new Float32Array(dim)]);
    } catch (err) {
      throw new ClassifierArtifactError(dir, `${HEAD_FILE} does not accept ${dim}-dim inputs (${(err as Error).message.split('\n')[0]})`);
    }
    if (probe[0]?.length !== m.models.length) throw new ClassifierArtifactError(dir, `${HEAD_FILE} outputs ${probe[0]?.length} models, manifest lists ${m.models.length}`);
    return p;
  }

  async predict(vectors: readonly Float32Array[]): Promise<number[][]> {
    if (!vectors.length) return [];
    const flat = new Float32Array(vectors.length * this.dimension);
    vectors.forEach((v, i) => flat.set(v, i * this.dimension));
    const ort = loadedOnnxRuntime();
    const out = await this.session.run({ embedding: new ort.Tensor('float32', flat, [vectors.length, this.dimension]) });
    const q = out.quality!;
    const data = q.data as Float32Array;
    const cols = Number(q.dims[1]);
    return vectors.map((_, i) => Array.from(data.subarray(i * cols, (i + 1) * cols)));
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/**
 * kNN over the labeled training prompts. The vectors live in the artefact's LanceDB table; they are read
 * once at load (and checked against the manifest's sha256, row count and dimension) and searched
 * exactly in process by {@link KnnScan} (onnxruntime) — a LanceDB query costs ~20 ms here, the in-memory
 * scan of a few thousand rows ~0.3 ms.
 */
export class KnnPredictor implements QualityPredictor {
  private constructor(
    private readonly scan: KnnScan,
    private readonly labels: number[][],
    private readonly m: ArtifactManifest,
  ) {}

  static async load(dir: string, m: ArtifactManifest): Promise<KnnPredictor> {
    const knn = m.knn;
    if (!knn) throw new ClassifierArtifactError(dir, 'manifest has no knn section');
    const labels = (JSON.parse(readFileSync(join(dir, KNN_LABELS), 'utf8')) as { labels: number[][] }).labels;
    if (labels.length !== knn.rows || labels.some((l) => l.length !== m.models.length)) throw new ClassifierArtifactError(dir, `${KNN_LABELS} does not match the manifest's rows/models`);
    const dim = m.embedder.dimension;
    const matrix = new Float32Array(knn.rows * dim);
    const lance = await loadLanceDb();
    let db: lancedb.Connection | undefined;
    try {
      db = await lance.connect(join(dir, KNN_DIR));
      const table = await db.openTable(tableName(knn.namespace, m.embedder.modelVersion));
      const rows = (await table.query().select(['id', 'vector']).toArray()) as Array<{ id: string; vector: { toArray(): Float32Array } | number[] }>;
      if (rows.length !== knn.rows) throw new Error(`${rows.length} rows, manifest says ${knn.rows}`);
      for (const r of rows) {
        const v = Array.isArray(r.vector) ? Float32Array.from(r.vector) : r.vector.toArray();
        const row = Number(r.id);
        if (v.length !== dim) throw new Error(`vector of dimension ${v.length}, manifest says ${dim}`);
        if (!(row >= 0 && row < knn.rows)) throw new Error(`row id ${r.id} out of range`);
        matrix.set(v, row * dim);
      }
      table.close();
    } catch (err) {
      throw new ClassifierArtifactError(dir, `${KNN_DIR} unusable (${(err as Error).message.split('\n')[0]})`);
    } finally {
      db?.close();
    }
    if (sha256(new Uint8Array(matrix.buffer)) !== knn.vectorsSha256) throw new ClassifierArtifactError(dir, `${KNN_DIR} vectors do not match the manifest's sha256 (corrupt or replaced)`);
    return new KnnPredictor(await KnnScan.create(matrix, dim), labels, m);
  }

  async predict(vectors: readonly Float32Array[]): Promise<number[][]> {
    const knn = this.m.knn!;
    return (await this.scan.topK(vectors, knn.k)).map((neighbours) => knnEstimate(neighbours, this.labels, this.m.priors, knn));
  }

  async close(): Promise<void> {
    await this.scan.close();
  }
}
