import { z } from 'zod';
import { ProviderError } from '../engine/errors.js';
import type { ModelAdapter, ModelCallInput, ModelResponse, StreamEvent } from '../engine/seams/model-adapter.js';
import { apiKeyFor, endpointUrl, parseEventData, postJson, readEvents, readJson, type UpstreamPost } from './http-client.js';
import { badResponse, streamCut } from './http-errors.js';
import { estimateCounter, withUsage, type OutputTokenCounter } from './output-tokens.js';

/** Base URL used when a model declares no `endpoint`. */
export const OPENAI_DEFAULT_ENDPOINT = 'https://api.openai.com/v1';

export interface OpenAICompatibleAdapterOptions {
  /** Counts answer tokens when the server reports no usage; defaults to `estimateCounter()` (chars / 4). */
  outputTokenCounter?: OutputTokenCounter;
}

const count = z.number().int().nonnegative();

const usageSchema = z
  .object({
    prompt_tokens: count,
    completion_tokens: count,
    prompt_tokens_details: z.object({ cached_tokens: count.nullish() }).nullish(),
  })
  .nullish();

const completionSchema = z.object({
  choices: z
    .array(z.object({ message: z.object({ content: z.string().nullish() }), finish_reason: z.string().nullish() }))
    .min(1),
  usage: usageSchema,
});

/** A stream chunk. `choices` is required but may be empty (the final usage chunk). */
const chunkSchema = z.object({
  choices: z.array(z.object({ delta: z.object({ content: z.string().nullish() }).nullish(), finish_reason: z.string().nullish() })),
  usage: usageSchema,
});

type WireUsage = z.infer<typeof usageSchema>;

/**
 * OpenAI-compatible chat completions over HTTP — OpenAI itself and the self-hosted servers that speak
 * the protocol (vLLM, TGI, Ollama, llama.cpp), so it serves the `vendor`, `local-gpu` and `distilled` tiers.
 *
 * - POSTs `${endpoint}/chat/completions` (endpoint is the base URL including `/v1`; trailing slashes are
 *   ignored) with `{ model: upstreamModel ?? id, messages, max_tokens, temperature, top_p, stop, seed, stream }`
 *   (unset fields are left out). `max_tokens` rather than `max_completion_tokens` by default, because
 *   vLLM, TGI and Ollama read that name; a model with `maxTokensField: max_completion_tokens` (OpenAI's
 *   reasoning models) gets the other.
 * - Sends `Authorization: Bearer <key>` when the model names an `apiKeyEnv`.
 * - Streaming asks for `stream_options.include_usage` and requires the `[DONE]` sentinel; a stream that
 *   ends without it is `network`. A server that reports no usage gets its answer counted by the
 *   output-token counter (`usageSource` from that counter).
 * Errors follow the {@link ModelAdapter} contract (see `http-errors.ts` for the mapping).
 */
export class OpenAICompatibleAdapter implements ModelAdapter {
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'openai-compatible';
  private readonly counter: OutputTokenCounter;

  constructor(options: OpenAICompatibleAdapterOptions = {}) {
    this.counter = options.outputTokenCounter ?? estimateCounter();
  }

  async call(input: ModelCallInput): Promise<ModelResponse> {
    const id = input.model.id;
    const res = await postJson(this.upstreamPost(input, false));
    const parsed = completionSchema.safeParse(await readJson(res, id, input.signal));
    if (!parsed.success) throw badResponse(id, 'missing or invalid fields in chat completion');
    const choice = parsed.data.choices[0];
    return withUsage(choice.message.content ?? '', choice.finish_reason ?? 'unknown', toUsage(parsed.data.usage), this.counter, input.model);
  }

  async *stream(input: ModelCallInput): AsyncIterable<StreamEvent> {
    const id = input.model.id;
    const res = await postJson(this.upstreamPost(input, true));
    let text = '';
    let finishReason = 'unknown';
    let usage: WireUsage;
    let sawDone = false;
    for await (const event of readEvents(res, id, input.signal)) {
      if (event.data === '[DONE]') {
        sawDone = true;
        break;
      }
      const json = parseEventData(id, event.data);
      if (json !== null && typeof json === 'object' && 'error' in json) {
        throw new ProviderError('server_error', id, `${id}: upstream reported an error mid-stream`);
      }
      const parsed = chunkSchema.safeParse(json);
      if (!parsed.success) throw badResponse(id, 'missing or invalid fields in stream chunk');
      const choice = parsed.data.choices[0];
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      if (parsed.data.usage) usage = parsed.data.usage;
      const delta = choice?.delta?.content;
      if (delta) {
        text += delta;
        yield { type: 'delta', text: delta };
      }
    }
    if (!sawDone) throw streamCut(id, '[DONE]');
    yield { type: 'done', response: withUsage(text, finishReason, toUsage(usage), this.counter, input.model) };
  }

  private upstreamPost(input: ModelCallInput, stream: boolean): UpstreamPost {
    const { model } = input;
    const key = apiKeyFor(model);
    return {
      modelId: model.id,
      url: endpointUrl(model.id, model.endpoint ?? OPENAI_DEFAULT_ENDPOINT, '/chat/completions'),
      headers: key ? { authorization: `Bearer ${key}` } : {},
      body: {
        model: model.upstreamModel ?? model.id,
        messages: input.messages,
        [model.maxTokensField ?? 'max_tokens']: input.maxOutputTokens,
        temperature: input.temperature,
        ...(input.topP !== undefined && { top_p: input.topP }),
        ...(input.stop && { stop: input.stop }),
        ...(input.seed !== undefined && { seed: input.seed }),
        stream,
        ...(stream && { stream_options: { include_usage: true } }),
      },
      signal: input.signal,
    };
  }
}

/** The wire usage as Tollgate's TokenUsage; `cached_tokens` is a subset of `prompt_tokens`. */
function toUsage(usage: WireUsage): ModelResponse['usage'] | undefined {
  if (!usage) return undefined;
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
  };
}
