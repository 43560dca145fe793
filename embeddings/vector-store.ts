/**
 * The `VectorStore` seam: tenant-scoped storage and similarity search of embedding vectors.
 *
 * Contract:
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

export interface VectorStore {
  readonly modelVersion: string;
  readonly dimension: number;
  /** Inserts records that are not stored yet; returns how many were inserted. */
  upsert(records: VectorRecord[]): Promise<{ inserted: number }>;
  search(query: VectorQuery): Promise<VectorMatch[]>;
  /** Which of `hashes` the tenant already has in the namespace. */
  existingHashes(tenant: string, namespace: string, hashes: string[]): Promise<Set<string>>;
  count(namespace: string, tenant?: string): Promise<number>;
  close(): Promise<void>;
}
