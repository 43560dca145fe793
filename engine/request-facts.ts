import { createHash, randomUUID } from 'node:crypto';
import type { CompiledPolicy } from './compiled-policy.js';
import type { TextMessage, ValidRequest } from './request.js';
import { checkOutputCap, checkPromptSize } from './prompt-size.js';
import { countPromptOffThread } from './token-pool.js';
import { countPromptByEncoding, type Encoding } from './tokens.js';
import { hasExtras, requestExtraTokens, textMessages, textOf } from './message-tokens.js';
import { answerShape } from './idempotency.js';
import { ownTools } from './tools-json.js';

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
 * `defaults.maxPromptChars` is refused before it is counted. `texts`: the request's messages as text
 * ({@link textMessages}), when the caller has them already.
 */
export function requestFacts(policy: CompiledPolicy, caller: ValidRequest, now: number, counted?: Map<Encoding, number>, texts?: readonly TextMessage[]): RequestFacts {
  const request = ownTools(caller); // its tools' JSON is remembered per array (engine/tools-json.ts)
  const known = request.simulation?.promptTokens;
  if (known === undefined) checkOutputCap(request.maxOutputTokens, policy.policy.models); // trace replays keep their rows
  let promptTokens: Map<Encoding, number>;
  if (counted) promptTokens = counted;
  else if (known !== undefined) {
    promptTokens = new Map();
    for (const e of policy.encodings) promptTokens.set(e, known);
  } else {
    texts ??= textMessages(request.messages);
    checkPromptSize(texts, policy.policy.defaults.maxPromptChars);
    promptTokens = countPromptByEncoding(texts, policy.encodings);
  }
  if (known === undefined && hasExtras(request)) {
    promptTokens = new Map([...promptTokens].map(([e, n]) => [e, n + requestExtraTokens(request, e)])); // never the caller's map
  }
  let max = 0;
  for (const v of promptTokens.values()) if (v > max) max = v;
  return {
    id: request.id ?? randomUUID(),
    request,
    text: texts ? joinedText(texts) : messageText(request),
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
  const messages = textMessages(request.messages);
  const chars = checkPromptSize(messages, policy.policy.defaults.maxPromptChars);
  return requestFacts(policy, request, now, await countPromptOffThread(messages, policy.encodings, chars), messages);
}

/** The prompt text the classifier reads: the messages' contents joined by newlines. */
export function messageText(request: Pick<ValidRequest, 'messages'>): string {
  if (request.messages.length === 1) return textOf(request.messages[0]!);
  return request.messages.map(textOf).join('\n');
}

/** {@link messageText} of messages already reduced to text (their `content` is {@link textOf} each message). */
function joinedText(texts: readonly TextMessage[]): string {
  if (texts.length === 1) return texts[0]!.content;
  let out = texts[0]?.content ?? '';
  for (let i = 1; i < texts.length; i++) out += '\n' + texts[i]!.content;
  return out;
}

/**
 * Cache identity of a request: `scope` hashes the parameters that must match exactly (pinned model,
 * output cap, temperature, top-p, stop sequences, seed); `key` hashes the scope plus the normalised messages (exact match).
 * The tenant is kept apart by the cache itself.
 */
export function cacheIdentity(request: ValidRequest): { key: string; scope: string } {
  const shape = answerShape(request);
  const shaped = Object.keys(shape).length ? `\u0003${JSON.stringify(shape)}` : '';
  const scope = createHash('sha256').update(`${request.model ?? ''}\u0003${request.maxOutputTokens ?? ''}\u0003${request.temperature ?? ''}${samplingScope(request)}${shaped}`).digest('hex');
  const norm = request.messages.map((m) => `${m.role}\u0001${m.name ?? ''}\u0001${messageKey(m)}`).join('\u0002');
  return { scope, key: createHash('sha256').update(`${scope}\u0003${norm}`).digest('hex') };
}

/** A message's part of the cache key: normalised text, or the whole message when it has parts or tool fields. */
function messageKey(m: ValidRequest['messages'][number]): string {
  if (typeof m.content === 'string' && !m.tool_calls && !m.tool_call_id && m.refusal == null) return m.content.trim().replace(/\s+/g, ' ');
  return JSON.stringify([m.content ?? null, m.tool_calls ?? null, m.tool_call_id ?? null, m.refusal ?? null]);
}

/** The scope's part for top-p, stop and seed: empty when none is set, so existing cache scopes keep their hashes. */
function samplingScope(request: { topP?: number; stop?: string | string[]; seed?: number }): string {
  if (request.topP === undefined && request.stop === undefined && request.seed === undefined) return '';
  return `\u0003${JSON.stringify([request.topP ?? null, typeof request.stop === 'string' ? [request.stop] : (request.stop ?? null), request.seed ?? null])}`;
}
