import { CLAUDE_TOKEN_FACTOR } from '../engine/tokens.js';
import { z } from 'zod';
import { ProviderError, type ProviderFailureKind } from '../engine/errors.js';
import type { ModelAdapter, ModelCallInput, ModelResponse, StreamEvent } from '../engine/seams/model-adapter.js';
import { apiKeyFor, endpointUrl, parseEventData, postJson, readEventBatches, readJson, type UpstreamPost } from './http-client.js';
import { badResponse, streamCut } from './http-errors.js';
import { estimateCounter, withUsage, type OutputTokenCounter } from './output-tokens.js';
import { anthropicMessages, anthropicOptions, toolCallsOf } from './anthropic-translate.js';
import type { ToolCall } from '../engine/request.js';
import type { ToolCallDelta } from '../engine/seams/model-adapter.js';

/** Base URL used when a model declares no `endpoint`. */
export const ANTHROPIC_DEFAULT_ENDPOINT = 'https://api.anthropic.com';
/** The Messages API version header Tollgate speaks. */
export const ANTHROPIC_VERSION = '2023-06-01';
/**
 * Claude's tokenizer is not public. Before a call Tollgate estimates a Claude prompt as its
 * o200k_base count × this factor (and a missing output count as chars / 4 × this factor);
 * after the call the vendor's usage replaces the estimate. See docs/tokens.md, section "Claude".
 * Defined in the engine, which counts prompts before any call; re-exported here.
 */
export { CLAUDE_TOKEN_FACTOR };

export interface AnthropicAdapterOptions {
  /** Counts answer tokens if a response lacks usage; defaults to `estimateCounter(CLAUDE_TOKEN_FACTOR)`. */
  outputTokenCounter?: OutputTokenCounter;
}

const count = z.number().int().nonnegative();

/** Usage as Anthropic reports it; `input_tokens` excludes the cache read and cache write tokens. */
const usageSchema = z.object({
  input_tokens: count.nullish(),
  output_tokens: count.nullish(),
  cache_read_input_tokens: count.nullish(),
  cache_creation_input_tokens: count.nullish(),
  /** The write split by cache lifetime (5-minute and 1-hour rates differ). */
  cache_creation: z.object({ ephemeral_5m_input_tokens: count.nullish(), ephemeral_1h_input_tokens: count.nullish() }).nullish(),
  service_tier: z.string().nullish(),
});
type WireUsage = z.infer<typeof usageSchema>;

const messageSchema = z.object({
  content: z.array(z.looseObject({ type: z.string(), text: z.string().optional(), id: z.string().optional(), name: z.string().optional(), input: z.unknown().optional() })),
  stop_reason: z.string().nullish(),
  usage: usageSchema.nullish(),
});

const eventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message_start'), message: z.object({ usage: usageSchema.nullish() }) }),
  z.object({ type: z.literal('content_block_delta'), index: z.number().int().nonnegative().optional(), delta: z.looseObject({ type: z.string(), text: z.string().optional(), partial_json: z.string().optional() }) }),
  z.object({ type: z.literal('content_block_start'), index: z.number().int().nonnegative().optional(), content_block: z.looseObject({ type: z.string(), id: z.string().optional(), name: z.string().optional() }) }),
  z.object({ type: z.literal('message_delta'), delta: z.object({ stop_reason: z.string().nullish() }), usage: usageSchema.nullish() }),
  z.object({ type: z.literal('message_stop') }),
  z.object({ type: z.literal('error'), error: z.object({ type: z.string() }) }),
  z.object({ type: z.enum(['ping', 'content_block_stop']) }),
]);

/** Every event type above; others are skipped so that protocol additions do not break streams. */
const EVENT_TYPES = new Set(['message_start', 'content_block_delta', 'message_delta', 'message_stop', 'error', 'ping', 'content_block_start', 'content_block_stop']);

/** Anthropic stop reasons in the OpenAI vocabulary, so logs and the gateway see one set of names. */
const FINISH_REASONS: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/** Anthropic error types sent inside a 200 event stream, mapped to ProviderError kinds. */
const ERROR_KINDS: Record<string, ProviderFailureKind> = {
  overloaded_error: 'server_error',
  api_error: 'server_error',
  rate_limit_error: 'rate_limited',
  invalid_request_error: 'client_error',
  authentication_error: 'client_error',
  permission_error: 'client_error',
  not_found_error: 'client_error',
  request_too_large: 'client_error',
};

/**
 * Anthropic Messages API (`POST {endpoint}/v1/messages`), non-streaming and streaming.
 *
 * - `endpoint` is the base URL (`https://api.anthropic.com`); a trailing `/v1` or slash is tolerated.
 * - Headers: `x-api-key` (when the model names an `apiKeyEnv`), `anthropic-version: 2023-06-01`.
 * - Messages, tools, images, structured output, reasoning and service tier are translated as
 *   `anthropic-translate.ts` documents (system/developer → `system`, tool calls ↔ `tool_use`, tool
 *   messages → `tool_result`, images → `image` blocks, json_schema → `output_config.format`).
 * - Answers: `tool_use` blocks become OpenAI tool calls; streamed `tool_use` starts and
 *   `input_json_delta` pieces become tool-call deltas (`id` and `name` first, then `arguments` pieces).
 * - Usage: `inputTokens` is the whole prompt (`input_tokens + cache_read + cache_creation`),
 *   `cachedInputTokens` the cache read, `cacheWriteTokens` the cache creation.
 * - Streaming requires `message_stop`; an `error` event becomes a ProviderError (`overloaded_error` →
 *   `server_error`). HTTP errors map as in `http-errors.ts` (529 overloaded → `server_error`).
 * - Stop reasons are reported in OpenAI's names (`end_turn` → `stop`, `max_tokens` → `length`).
 * - `topP` goes as `top_p`, `stop` as `stop_sequences`; the Messages API has no seed, so `seed` is not sent.
 */
export class AnthropicAdapter implements ModelAdapter {
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'anthropic';
  private readonly counter: OutputTokenCounter;

  constructor(options: AnthropicAdapterOptions = {}) {
    this.counter = options.outputTokenCounter ?? estimateCounter(CLAUDE_TOKEN_FACTOR);
  }

  async call(input: ModelCallInput): Promise<ModelResponse> {
    const id = input.model.id;
    const res = await postJson(this.upstreamPost(input, false));
    const parsed = messageSchema.safeParse(await readJson(res, id, input.signal));
    if (!parsed.success) throw badResponse(id, 'missing or invalid fields in message');
    const text = parsed.data.content.map((b) => (b.type === 'text' ? (b.text ?? '') : '')).join('');
    const toolCalls = toolCallsOf(parsed.data.content);
    const counted = text + (toolCalls ?? []).map((c) => c.function.name + c.function.arguments).join('');
    const r = withUsage(counted, finishReason(parsed.data.stop_reason), toUsage(parsed.data.usage ?? {}), this.counter, input.model);
    const tier = parsed.data.usage?.service_tier;
    return { ...r, text, ...(toolCalls && { toolCalls }), ...(tier && { serviceTier: tier }) };
  }

  async *stream(input: ModelCallInput): AsyncIterable<StreamEvent> {
    const id = input.model.id;
    const res = await postJson(this.upstreamPost(input, true));
    let text = '';
    let stopReason: string | null | undefined;
    let usage: WireUsage = {};
    let stopped = false;
    const calls: ToolCall[] = [];
    /** Content block index → tool call index (OpenAI numbers calls 0, 1, … apart from text blocks). */
    const toolIndex = new Map<number, number>();
    events: for await (const batch of readEventBatches(res, id, input.signal)) for (const raw of batch) {
      const json = parseEventData(id, raw.data);
      const type = (json as { type?: unknown } | null)?.type;
      if (typeof type === 'string' && !EVENT_TYPES.has(type)) continue; // event types added to the protocol later
      const parsed = eventSchema.safeParse(json);
      if (!parsed.success) throw badResponse(id, `missing or invalid fields in ${String(type ?? 'stream')} event`);
      const event = parsed.data;
      if (event.type === 'message_start') usage = { ...usage, ...defined(event.message.usage) };
      else if (event.type === 'message_delta') {
        stopReason = event.delta.stop_reason ?? stopReason;
        usage = { ...usage, ...defined(event.usage) };
      } else if (event.type === 'content_block_start' && event.content_block.type === 'tool_use') {
        const index = calls.length;
        toolIndex.set(event.index ?? index, index);
        calls.push({ id: event.content_block.id ?? '', type: 'function', function: { name: event.content_block.name ?? '', arguments: '' } });
        const piece: ToolCallDelta = { index, id: calls[index]!.id, name: calls[index]!.function.name, arguments: '' };
        yield { type: 'delta', text: '', toolCalls: [piece] };
      } else if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta' && event.delta.partial_json) {
        const index = toolIndex.get(event.index ?? -1);
        if (index === undefined) throw badResponse(id, 'input_json_delta outside a tool_use block');
        calls[index]!.function.arguments += event.delta.partial_json;
        yield { type: 'delta', text: '', toolCalls: [{ index, arguments: event.delta.partial_json }] };
      } else if (event.type === 'content_block_delta' && event.delta.type === 'text_delta' && event.delta.text) {
        text += event.delta.text;
        yield { type: 'delta', text: event.delta.text };
      } else if (event.type === 'error') {
        const kind = ERROR_KINDS[event.error.type] ?? 'server_error';
        throw new ProviderError(kind, id, `${id}: upstream reported ${event.error.type} mid-stream`);
      } else if (event.type === 'message_stop') {
        stopped = true;
        break events;
      }
    }
    if (!stopped) throw streamCut(id, 'message_stop');
    for (const c of calls) if (c.function.arguments === '') c.function.arguments = '{}'; // a call without input streams no delta
    const counted = text + calls.map((c) => c.function.name + c.function.arguments).join('');
    const r = withUsage(counted, finishReason(stopReason), toUsage(usage), this.counter, input.model);
    yield { type: 'done', response: { ...r, text, ...(calls.length && { toolCalls: calls }), ...(usage.service_tier && { serviceTier: usage.service_tier }) } };
  }

  private upstreamPost(input: ModelCallInput, stream: boolean): UpstreamPost {
    const { model } = input;
    const key = apiKeyFor(model);
    const { system: base, messages } = anthropicMessages(input.messages, model.id);
    const { fields, systemExtra, thinking } = anthropicOptions(input);
    const system = [base, systemExtra].filter(Boolean).join('\n\n');
    return {
      modelId: model.id,
      url: endpointUrl(model.id, model.endpoint ?? ANTHROPIC_DEFAULT_ENDPOINT, '/v1/messages', '/v1'),
      headers: { 'anthropic-version': ANTHROPIC_VERSION, ...(key && { 'x-api-key': key }) },
      body: {
        model: model.upstreamModel ?? model.id,
        max_tokens: input.maxOutputTokens,
        messages,
        ...(system && { system }),
        ...(!thinking && { temperature: input.temperature }),
        ...(!thinking && input.topP !== undefined && { top_p: input.topP }),
        ...(input.stop && { stop_sequences: input.stop }), // Anthropic has no seed: `input.seed` is not sent
        ...fields,
        ...(stream && { stream: true }),
      },
      signal: input.signal,
    };
  }
}

/** Keeps only the fields the vendor actually sent, so a later event does not erase an earlier count. */
function defined(usage: WireUsage | null | undefined): WireUsage {
  return Object.fromEntries(Object.entries(usage ?? {}).filter(([, v]) => v !== null && v !== undefined));
}

function finishReason(stop: string | null | undefined): string {
  return stop ? (FINISH_REASONS[stop] ?? stop) : 'unknown';
}

/** Anthropic usage as TokenUsage; `undefined` (count it ourselves) when no output count was reported. */
function toUsage(usage: WireUsage): ModelResponse['usage'] | undefined {
  if (usage.output_tokens === null || usage.output_tokens === undefined) return undefined;
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  return {
    ...(usage.input_tokens != null && { inputTokens: usage.input_tokens + cacheRead + cacheWrite }),
    outputTokens: usage.output_tokens,
    cachedInputTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    ...(usage.cache_creation?.ephemeral_1h_input_tokens && { cacheWrite1hTokens: usage.cache_creation.ephemeral_1h_input_tokens }),
  };
}
