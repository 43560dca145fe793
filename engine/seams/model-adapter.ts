import type { ModelSpec } from '../../policies/schema.js';
import type { TokenUsage } from '../cost.js';
import type { ChatMessage } from '../request.js';

/** What the engine hands an adapter for one attempt against one model. */
export interface ModelCallInput {
  model: ModelSpec;
  messages: readonly ChatMessage[];
  maxOutputTokens: number;
  temperature?: number;
  topP?: number;
  /** Stop sequences (1–4), already a list. */
  stop?: readonly string[];
  /** Best-effort sampling seed; adapters whose vendor has none leave it out. */
  seed?: number;
  requestId: string;
  /** Aborted when the attempt's timeout passes or the caller cancels; adapters must stop promptly. */
  signal: AbortSignal;
  /** Known facts for simulations (from a trace); real adapters ignore them. */
  simulation?: SimulationHints;
}

/** What a trace may know about a request: used by the simulated adapter and the engine's counting. */
export interface SimulationHints {
  promptTokens?: number;
  outputTokens?: number;
  /** Observed quality per model id in [0, 1]. */
  labels?: Record<string, number>;
}

/**
 * What a model answered. `usage` is the vendor's own count when it reported one
 * (`usageSource: 'vendor'`); otherwise the adapter counts output tokens itself (`'tokenizer'` or `'estimate'`).
 */
export interface ModelResponse {
  text: string;
  usage: Partial<TokenUsage> & { outputTokens: number };
  usageSource: 'vendor' | 'tokenizer' | 'estimate';
  finishReason: string;
  /** Observed answer quality in [0, 1], only from the simulated adapter (for simulations). */
  quality?: number;
}

export type StreamEvent = { type: 'delta'; text: string } | { type: 'done'; response: ModelResponse };

/**
 * ModelAdapter — the seam between the engine and a model provider.
 *
 * Contract:
 * - `call(input)` sends one attempt and resolves with the full answer and its usage. It is called once per
 *   attempt; retries, fallbacks and circuit breaking are the engine's job, never the adapter's.
 * - `stream(input)` yields `delta` events as text arrives and ends with exactly one `done` event whose
 *   `response.text` is the concatenation of the deltas and whose usage is final.
 * - Failures throw {@link ProviderError} with a kind: `rate_limited` (HTTP 429; set `retryAfterMs` from
 *   Retry-After), `server_error` (5xx), `timeout` (the signal aborted), `network` (connection refused/reset,
 *   stream cut before `done`), `bad_response` (malformed JSON or protocol), `client_error` (other 4xx; not retried).
 * - Adapters must not log request bodies or credentials; API keys are read from the environment variable
 *   named by the model's `apiKeyEnv` and never appear in errors.
 * - Adapters are stateless between calls and safe to share across concurrent requests.
 */
export interface ModelAdapter {
  readonly kind: string;
  call(input: ModelCallInput): Promise<ModelResponse>;
  stream(input: ModelCallInput): AsyncIterable<StreamEvent>;
}
