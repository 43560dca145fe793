import type { SpecificationVersion } from '../engine/seams/specification.js';

/**
 * The `Embedder` seam: turns texts into unit-length vectors.
 *
 * Contract (specificationVersion 'v1'):
 * - `modelId`, `modelVersion`, `dimension` and `maxTokens` are fixed for the object's lifetime.
 *   Vectors from different `modelVersion`s must never be compared (stores key tables by it).
 * - `embed(texts)` resolves to one `Float32Array` of length `dimension` per text, in input order, each
 *   L2-normalised (norm 1 ± 1e-5; an input with no tokens, e.g. "", gives the zero vector). The same text
 *   always yields the same vector for the same model version. `embed([])` resolves to `[]`.
 * - Texts longer than `maxTokens` are truncated, never silently: each truncation is counted in
 *   `stats.truncatedCount`.
 * - Errors: `EmbeddingInputError` (a non-string input, before any work is done);
 *   `EmbeddingModelError` (model unusable) and `ExecutionProviderUnavailableError` come from construction.
 * - Safe to call concurrently within one process; each process holds its own instance.
 */
/**
 * Error codes an Embedder may throw: `embedding_input_invalid` from `embed`; `embedding_model_invalid` and
 * `execution_provider_unavailable` from construction (loading the model).
 */
export type EmbedderErrorCode = 'embedding_input_invalid' | 'embedding_model_invalid' | 'execution_provider_unavailable';

export interface Embedder {
  /** The seam version this implementation was written against. */
  readonly specificationVersion?: SpecificationVersion;
  readonly modelId: string;
  readonly modelVersion: string;
  readonly dimension: number;
  readonly maxTokens: number;
  /** Execution provider actually used (`cpu` after an allowed fallback). */
  readonly executionProvider: string;
  /**
   * Called by the semantic cache (one text per lookup and store), dedup and embedding jobs (batches):
   * one unit-length vector per text, in order (see the contract above). Throws `embedding_input_invalid`.
   */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Token count of `text` as this model sees it (before truncation). */
  countTokens(text: string): number;
  readonly stats: EmbedderStats;
}

/** Running totals since construction. */
export interface EmbedderStats {
  texts: number;
  tokens: number;
  batches: number;
  truncatedCount: number;
  /** Wall-clock seconds spent inside `embed`. */
  seconds: number;
}
