import type { SpecificationVersion } from '../engine/seams/specification.js';

/**
 * The `VectorStore` seam: tenant-scoped storage and similarity search of embedding vectors.
 *
 * Contract (specificationVersion 'v1'; suite: `vectorStoreContract` in `tollgate/testing`):
 * - A store is bound to one embedding model version and dimension; each namespace is a separate table
 *   for that version, so vectors of different models are never compared.
 * - Rows are keyed by (tenant, content hash). `upsert` is idempotent: writing the same record twice leaves
 *   one row; it reports how many rows were new.
 * - `search` and `existingHashes` only ever see rows of the given tenant: the tenant filter is applied
 *   inside the store, before ranking, and results are re-checked; no input string can widen it.
 * - Errors: `VectorDimensionMismatchError` when a vector (or an existing table) has another dimension.
 * - Safe across processes for appends to the same table directory (LanceDB retries conflicting commits).
 */
export interface VectorRecord {
  tenant: string;
  namespace: string;
  /** sha256 of the normalised text (see `contentHash`). */
  hash: string;
  vector: Float32Array;
  /** Caller's id for the text, if any. */
  id?: string;
  text?: string;
}

export interface VectorQuery {
  tenant: string;
  namespace: string;
  vector: Float32Array;
  /** Default 10. */
  k?: number;
  /** Only return matches with cosine similarity ≥ this. */
  minScore?: number;
}

export interface VectorMatch {
  tenant: string;
  namespace: string;
  hash: string;
  id: string;
  text: string;
  /** Cosine similarity, 1 = identical direction. */
  score: number;
}

/**
 * Error codes a VectorStore may throw. `vector_dimension_mismatch` — {@link VectorDimensionMismatchError}:
 * a vector (or an existing table) has another dimension than the store's. `store_unavailable` — the
 * backing store could not answer.
 */
export type VectorStoreErrorCode = 'vector_dimension_mismatch' | 'store_unavailable';

export interface VectorStore {
  /** The seam version this implementation was written against. */
  readonly specificationVersion?: SpecificationVersion;
  /** The embedding model version every stored vector comes from (tables are keyed by it). */
  readonly modelVersion: string;
  /** Length of every vector stored and queried. */
  readonly dimension: number;
  /**
   * Called by embedding jobs, dedup and the semantic cache's `store`: inserts the records whose
   * (tenant, namespace, hash) is not stored yet and returns how many were new (an idempotent write: the same
   * record twice leaves one row). Throws `vector_dimension_mismatch` before writing anything.
   */
  upsert(records: VectorRecord[]): Promise<{ inserted: number }>;
  /**
   * Called by the semantic cache's `lookup` and by dedup: the `k` (default 10) rows of `tenant` in
   * `namespace` most similar to `vector` (cosine, best first), only those with `score ≥ minScore`. Never a
   * row of another tenant. An unknown namespace is no match (`[]`). Throws `vector_dimension_mismatch`.
   */
  search(query: VectorQuery): Promise<VectorMatch[]>;
  /** Called by jobs to skip work already done: which of `hashes` the tenant already has in the namespace. */
  existingHashes(tenant: string, namespace: string, hashes: string[]): Promise<Set<string>>;
  /** Rows in `namespace` (of `tenant` when given); 0 for an unknown namespace. For reports and tests. */
  count(namespace: string, tenant?: string): Promise<number>;
  /** Releases the store; called once on shutdown. */
  close(): Promise<void>;
}
