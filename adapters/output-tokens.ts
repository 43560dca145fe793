import type { ModelSpec } from '../policies/schema.js';
import type { ModelResponse } from '../engine/seams/model-adapter.js';

/**
 * Counts answer tokens when a vendor reports no usage. `source` is what the response's
 * `usageSource` becomes: `'tokenizer'` for an exact tokenizer, `'estimate'` for a heuristic.
 */
export interface OutputTokenCounter {
  readonly source: 'tokenizer' | 'estimate';
  count(text: string, model: ModelSpec): number;
}

/** Average characters per token of English prose and code under OpenAI's BPE encodings. */
export const CHARS_PER_TOKEN = 4;

/**
 * The fallback counter: `ceil(chars / 4 × factor)`. `factor` scales for tokenizers that cut text
 * finer than OpenAI's (see `CLAUDE_TOKEN_FACTOR`).
 */
export function estimateCounter(factor = 1): OutputTokenCounter {
  return {
    source: 'estimate',
    count: (text) => Math.ceil((text.length / CHARS_PER_TOKEN) * factor),
  };
}

/**
 * The response an adapter returns: the vendor's usage when it sent one (`usageSource: 'vendor'`),
 * otherwise only `outputTokens`, counted from the text by `counter` (the engine counted the prompt).
 */
export function withUsage(
  text: string,
  finishReason: string,
  vendorUsage: ModelResponse['usage'] | undefined,
  counter: OutputTokenCounter,
  model: ModelSpec,
): ModelResponse {
  if (vendorUsage) return { text, finishReason, usage: vendorUsage, usageSource: 'vendor' };
  return { text, finishReason, usage: { outputTokens: counter.count(text, model) }, usageSource: counter.source };
}
