import { createHash, randomUUID } from 'node:crypto';
import type { CompiledPolicy } from './compiled-policy.js';
import type { ValidRequest } from './request.js';
import { checkOutputCap, checkPromptSize } from './prompt-size.js';
import { countPromptOffThread } from './token-pool.js';
import { countPromptByEncoding, type Encoding } from './tokens.js';

/** What the engine knows about a request before any decision: computed once, read by every step. */
export interface RequestFacts {
  id: string;
  request: ValidRequest;
  text: string;
  tags: string[];
  promptTokens: Map<Encoding, number>;
  /** The largest prompt count across the policy's tokenizers (used for rate limits and rule ranges). */
  maxPromptTokens: number;
  startedAt: number;
}

/**
 * Counts the prompt for every tokenizer the policy's models use (or takes `counted`, the counts per
 * encoding already made by the caller, or a trace's known count). A prompt over the policy's
 * `defaults.maxPromptChars` is refused before it is counted.
 */
export function requestFacts(policy: CompiledPolicy, request: ValidRequest, now: number, counted?: Map<Encoding, number>): RequestFacts {
  const known = request.simulation?.promptTokens;
  checkOutputCap(request.maxOutputTokens, policy.policy.models);
  let promptTokens: Map<Encoding, number>;
  if (counted) promptTokens = counted;
  else if (known !== undefined) {
    promptTokens = new Map();
    for (const e of policy.encodings) promptTokens.set(e, known);
  } else {
    checkPromptSize(request.messages, policy.policy.defaults.maxPromptChars);
    promptTokens = countPromptByEncoding(request.messages, policy.encodings);
  }
  let max = 0;
  for (const v of promptTokens.values()) if (v > max) max = v;
  return {
    id: request.id ?? randomUUID(),
    request,
    text: messageText(request),
    tags: request.tags ?? [],
    promptTokens,
    maxPromptTokens: max,
    startedAt: now,
  };
}

/**
 * {@link requestFacts} for the request path: the size check first, then large prompts counted on the
 * token worker (engine/token-pool.ts) so the event loop stays free for other requests.
 */
export async function countedRequestFacts(policy: CompiledPolicy, request: ValidRequest, now: number): Promise<RequestFacts> {
  if (request.simulation?.promptTokens !== undefined) return requestFacts(policy, request, now);
  checkOutputCap(request.maxOutputTokens, policy.policy.models);
  const chars = checkPromptSize(request.messages, policy.policy.defaults.maxPromptChars);
  return requestFacts(policy, request, now, await countPromptOffThread(request.messages, policy.encodings, chars));
}

/** The prompt text the classifier reads: the messages' contents joined by newlines. */
export function messageText(request: Pick<ValidRequest, 'messages'>): string {
  if (request.messages.length === 1) return request.messages[0]!.content;
  return request.messages.map((m) => m.content).join('\n');
}

/**
 * Cache identity of a request: `scope` hashes the parameters that must match exactly (pinned model,
 * output cap, temperature, top-p, stop sequences, seed); `key` hashes the scope plus the normalised messages (exact match).
 * The tenant is kept apart by the cache itself.
 */
export function cacheIdentity(request: ValidRequest): { key: string; scope: string } {
  const scope = createHash('sha256').update(`${request.model ?? ''}\u0003${request.maxOutputTokens ?? ''}\u0003${request.temperature ?? ''}${samplingScope(request)}`).digest('hex');
  const norm = request.messages.map((m) => `${m.role}\u0001${m.name ?? ''}\u0001${m.content.trim().replace(/\s+/g, ' ')}`).join('\u0002');
  return { scope, key: createHash('sha256').update(`${scope}\u0003${norm}`).digest('hex') };
}

/** The scope's part for top-p, stop and seed: empty when none is set, so existing cache scopes keep their hashes. */
function samplingScope(request: { topP?: number; stop?: string | string[]; seed?: number }): string {
  if (request.topP === undefined && request.stop === undefined && request.seed === undefined) return '';
  return `\u0003${JSON.stringify([request.topP ?? null, typeof request.stop === 'string' ? [request.stop] : (request.stop ?? null), request.seed ?? null])}`;
}
