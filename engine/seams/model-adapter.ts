import type { ModelSpec } from '../../policies/schema.js';
import type { TokenUsage } from '../cost.js';
import type { ProviderFailureKind } from '../errors.js';
import type { ChatMessage, ResponseFormat, ToolCall, ToolChoice, ToolDefinition, ValidRequest } from '../request.js';
import type { SpecificationVersion } from './specification.js';

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
  /** Functions the model may call, and how (OpenAI shapes; adapters translate). */
  tools?: readonly ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  reasoningEffort?: ValidRequest['reasoningEffort'];
  serviceTier?: ValidRequest['serviceTier'];
  /** Choices wanted (only models with `maxN` ≥ n are called with n > 1). */
  n?: number;
  /** Unmodelled Chat Completions fields, for OpenAI-compatible upstreams only (others are never routed such a request). */
  passthrough?: Readonly<Record<string, unknown>>;
  /** The end user (request metadata `user`): OpenAI `user`, Anthropic `metadata.user_id`. */
  user?: string;
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
  /** Calls the model made (finish reason `tool_calls`); `arguments` verbatim. */
  toolCalls?: ToolCall[];
  /** The model's refusal, when it gave one instead of content. */
  refusal?: string;
  /** Every choice when more than one was asked for (`n` > 1); the first is also the top-level answer. */
  choices?: ModelChoice[];
  /** The service tier the vendor reports it served (OpenAI `service_tier`, Anthropic `usage.service_tier`). */
  serviceTier?: string;
  usage: Partial<TokenUsage> & { outputTokens: number };
  usageSource: 'vendor' | 'tokenizer' | 'estimate';
  finishReason: string;
  /** Observed answer quality in [0, 1], only from the simulated adapter (for simulations). */
  quality?: number;
}

/** One choice of an answer. */
export interface ModelChoice {
  text: string;
  toolCalls?: ToolCall[];
  refusal?: string;
  finishReason: string;
}

/** A piece of a streamed tool call, as OpenAI streams it: `id` and `name` on the first piece of call `index`, then `arguments` in pieces. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  arguments: string;
}

/** A streamed piece: text, and/or pieces of tool calls. */
export type StreamEvent = { type: 'delta'; text: string; toolCalls?: ToolCallDelta[] } | { type: 'done'; response: ModelResponse };

/**
 * Error codes a ModelAdapter throws, each a {@link ProviderError} with `code = provider_<kind>`:
 * - `provider_rate_limited` — HTTP 429 (set `retryAfterMs` from Retry-After). Retried, counts against the circuit.
 * - `provider_server_error` — 5xx (and 529 overloaded). Retried, counts against the circuit.
 * - `provider_timeout` — the attempt's signal aborted on its deadline. Retried, counts against the circuit.
 * - `provider_network` — connection refused/reset, a body or stream cut before its end. Retried, counts.
 * - `provider_bad_response` — malformed JSON or protocol, a stream without its final event. Next model.
 * - `provider_client_error` — any other 4xx (bad request, auth, unknown model). Not retried; next model.
 * Anything else an adapter throws is read as `provider_network` (or `provider_timeout` after the deadline).
 */
export type ModelAdapterErrorCode = `provider_${Exclude<ProviderFailureKind, 'circuit_open'>}`;

/**
 * ModelAdapter — the seam between the engine and a model provider.
 *
 * Retries, fallbacks, timeouts and circuit breaking are the engine's job, never the adapter's. Adapters
 * are stateless between calls and safe to share across concurrent requests; nothing is shared across
 * processes. They must not log request bodies or credentials; API keys are read from the environment
 * variable named by the model's `apiKeyEnv` and never appear in errors. Contract suite: `modelAdapterContract`.
 */
export interface ModelAdapter {
  /** The seam version this implementation was written against. */
  readonly specificationVersion?: SpecificationVersion;
  /** The `models[].adapter` value this adapter serves (`openai-compatible`, `anthropic`, `simulated`…). */
  readonly kind: string;
  /**
   * Called once per attempt of a non-streaming request (the engine may call again for a retry or call
   * another model's adapter for a fallback). Sends one request and resolves with the full answer and its
   * usage (the vendor's count when it reported one). Stops promptly and rejects when `input.signal`
   * aborts. Throws a {@link ProviderError} ({@link ModelAdapterErrorCode}).
   */
  call(input: ModelCallInput): Promise<ModelResponse>;
  /**
   * Called once per attempt of a streaming request. Yields `delta` events as text arrives and ends with
   * exactly one `done` event, last, whose `response.text` is the concatenation of the deltas and whose usage
   * is final. Failing before the first event lets the engine retry or fall back; failing after a delta ends
   * the caller's stream. Stops promptly when `input.signal` aborts. Throws a {@link ProviderError}.
   */
  stream(input: ModelCallInput): AsyncIterable<StreamEvent>;
}
