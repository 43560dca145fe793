/** `tollgate/embeddings`: the embeddings subsystem (ONNX embedder, LanceDB store, dedup, jobs, semantic cache). */
import type { Embedder } from './embedder.js';
import { defaultModelDir } from './default-model.js';
import { OnnxEmbedder, type OnnxEmbedderOptions } from './onnx-embedder.js';

export type { Embedder, EmbedderStats } from './embedder.js';
export { OnnxEmbedder, type OnnxEmbedderOptions } from './onnx-embedder.js';
export type { ExecutionProvider } from './execution-provider.js';
export { LocalEmbeddingsAdapter, type LocalEmbeddingsAdapterOptions, type LocalEmbedderFactory, type LocalEmbedCall } from './local-embeddings-adapter.js';
export { DEFAULT_MODEL_NAME, defaultModelDir } from './default-model.js';
export * from './errors.js';

/**
 * Returns an embedder. Without options: the committed default model (offline, CPU, 256-dim).
 * With options: any sentence-transformers-style ONNX directory (`modelDir`), provider, limits.
 */
export async function createEmbedder(options: Partial<OnnxEmbedderOptions> = {}): Promise<Embedder> {
  return OnnxEmbedder.create({ ...options, modelDir: options.modelDir ?? defaultModelDir() });
}
export type { VectorStore, VectorRecord, VectorQuery, VectorMatch } from './vector-store.js';
export { LanceDbStore, type LanceDbStoreOptions, tableName } from './lancedb-store.js';
export { contentHash, normaliseText } from './content-hash.js';
export { DedupLedger, ExactDedup, findNearDuplicates, type DedupCostModel, type DedupReport } from './dedup.js';
export { EmbedPipeline, type EmbedItem, type EmbedPipelineOptions, type EmbedPipelineTotals, type TenantEmbedTotals } from './embed-pipeline.js';
export {
  priceEmbedCompute,
  embedJobRecords,
  allocate,
  DEFAULT_GPU_HOURLY_USD,
  DEFAULT_CPU_HOURLY_USD,
  DEFAULT_VENDOR_EMBEDDING_MODEL,
  type ComputePrices,
  type VendorEmbeddingPrice,
  type EmbedJobCompute,
  type ComputeMeasurement,
  type EmbedJobLedgerInput,
} from './job-compute.js';
export { readJsonlBatches, parseEmbedLine } from './jsonl-input.js';
export { runEmbedJob, startEmbedJob, readEmbedJobState, type EmbedJobOptions, type EmbedJobStats, type EmbedJobProgress, type EmbedJobHandle } from './batch-job.js';
export {
  EmbedJobLifecycle,
  embedJobMachine,
  EMBED_JOB_FINAL_STATES,
  type EmbedJobState,
  type EmbedJobSnapshot,
  type EmbedJobEvent,
  type EmbedJobError,
  type EmbedJobResumedFrom,
  type ChunkCounts,
  type PersistedEmbedJob,
} from './job-lifecycle.js';
export { SemanticCache, DEFAULT_SEMANTIC_THRESHOLD, type SemanticCacheOptions } from './semantic-cache.js';
export {
  enqueueEmbedJob,
  startEmbedWorker,
  waitForQueueDrained,
  obliterateQueue,
  embedRunStatus,
  cancelEmbedRun,
  type EmbedRunStatus,
  type QueueConnection,
  type EnqueueOptions,
  type EnqueueResult,
  type EmbedWorkerOptions,
  type EmbedWorkerHandle,
} from './distributed.js';
export { OnnxDataType, encodeOnnxModel, type OnnxNode } from './distill/onnx-proto.js';
export { TEACHER_DIMENSION, loadTeacher, type Teacher } from './distill/teacher.js';
