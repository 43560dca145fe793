/** Typed errors of the embeddings subsystem. Codes are stable public API. */
import { TollgateError } from '../engine/errors.js';

/** A model directory is missing a file, a file fails its manifest hash, or onnxruntime rejects it. */
export class EmbeddingModelError extends TollgateError {
  constructor(readonly modelDir: string, readonly file: string, readonly reason: string, options?: { cause?: unknown }) {
    super('embedding_model_invalid', `Embedding model at ${modelDir} is unusable (${file}): ${reason}`, { modelDir, file, reason }, options);
  }
}

/**
 * The requested onnxruntime execution provider cannot run here. `missing` names what is absent
 * (a shared library, a GPU adapter); pass `allowCpuFallback: true` to run on CPU instead.
 */
export class ExecutionProviderUnavailableError extends TollgateError {
  constructor(readonly provider: string, readonly missing: string, options?: { cause?: unknown }) {
    super('execution_provider_unavailable', `Execution provider "${provider}" is unavailable: missing ${missing}. Pass allowCpuFallback: true to run on CPU.`, { provider, missing }, options);
  }
}

/** Input to `embed` is not a list of strings. */
export class EmbeddingInputError extends TollgateError {
  constructor(readonly index: number, readonly reason: string) {
    super('embedding_input_invalid', `Embedding input #${index} is invalid: ${reason}`, { index, reason });
  }
}

/** Vectors of one dimension were written to or searched in a table that holds another. */
export class VectorDimensionMismatchError extends TollgateError {
  constructor(readonly table: string, readonly expected: number, readonly actual: number) {
    super('vector_dimension_mismatch', `Table "${table}" holds ${expected}-dim vectors, got ${actual}-dim`, { table, expected, actual });
  }
}

/** A batch-job input line is not valid JSON of the shape {id?, text, tenant?, namespace?}. */
export class BatchInputError extends TollgateError {
  constructor(readonly file: string, readonly line: number, readonly reason: string) {
    super('batch_input_invalid', `${file}:${line}: ${reason}`, { file, line, reason });
  }
}
