import type { ModelSpec, Task } from '../../policies/schema.js';
import type { ValidRequest } from '../request.js';
import type { SpecificationVersion } from './specification.js';

/** Facts known about a request before classification. */
export interface ClassifierInput {
  request: ValidRequest;
  /** Concatenated message text (what the model will read). */
  text: string;
  promptTokens: number;
}

/** What the classifier predicts for one request. */
export interface Classification {
  task: Task;
  /** 0 (trivial) … 1 (hardest). */
  complexity: number;
  /** Expected output tokens (used for predicted cost). */
  predictedOutputTokens: number;
  /** Upper estimate of output tokens (used for budget reservations); ≥ predictedOutputTokens. */
  outputTokensUpper: number;
  /** Probability in [0, 1] that each candidate model's answer is good enough, keyed by model id. */
  quality: Record<string, number>;
  /** Which classifier produced this (e.g. `rules@1`, `knn@<artifact hash>`). */
  source: string;
}

/**
 * Error codes a classifier may throw: only from loading, never per request.
 * - `classifier_artifact_invalid` — a learned classifier's artefact is missing or does not match its hash
 *   (thrown by `createTollgateAsync`, or by the first request with `createTollgate`).
 */
export type ClassifierErrorCode = 'classifier_artifact_invalid';

/**
 * RequestClassifier — predicts task, complexity, output length and per-model quality.
 *
 * In-process and stateless per request: safe for concurrent use; nothing is shared across processes.
 */
export interface RequestClassifier {
  /** The seam version this implementation was written against. */
  readonly specificationVersion?: SpecificationVersion;
  /**
   * Called once per request after the cache lookup missed and before routing (and by `decide()`), with the
   * policy's models. Returns a quality for every model passed in (unknown → the model's prior); must not call
   * any model. May be async (a learned classifier embeds the prompt). A classifier that cannot decide returns
   * its priors; it throws only on programming errors or {@link ClassifierErrorCode}.
   */
  classify(input: ClassifierInput, models: readonly ModelSpec[]): Classification | Promise<Classification>;
}
