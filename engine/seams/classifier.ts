import type { ModelSpec, Task } from '../../policies/schema.js';
import type { ValidRequest } from '../request.js';

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
 * RequestClassifier — predicts task, complexity, output length and per-model quality.
 *
 * Contract: `classify` is called once per request after admission and before routing, with the policy's
 * models. It must return a quality for every model passed in (unknown → the model's prior), must not call
 * any model, and must be safe for concurrent use. It may be async (a learned classifier embeds the prompt).
 * It throws only on programming errors; a classifier that cannot decide returns its priors.
 */
export interface RequestClassifier {
  classify(input: ClassifierInput, models: readonly ModelSpec[]): Classification | Promise<Classification>;
}
