import { z } from 'zod';
import { ProviderError } from '../engine/errors.js';
import type { ModelAdapter, ModelCallInput, ModelChoice, ModelResponse, StreamEvent, ToolCallDelta } from '../engine/seams/model-adapter.js';
import type { ToolCall } from '../engine/request.js';
import type { EmbedCallInput, EmbedResponse } from '../engine/embed.js';
import { jsonTextOf, toolsJson } from '../engine/tools-json.js';
import { apiKeyFor, endpointUrl, parseEventData, postJson, readEventBatches, readJson, type UpstreamPost } from './http-client.js';
import { badResponse, streamCut } from './http-errors.js';
import { estimateCounter, withUsage, type OutputTokenCounter } from './output-tokens.js';
import { chunkOk, chunkSchema, completionSchema, countSchema, plainCompletionOk, type usageSchema } from './openai-wire.js';

/** Base URL used when a model declares no `endpoint`. */
export const OPENAI_DEFAULT_ENDPOINT = 'https://api.openai.com/v1';

export interface OpenAICompatibleAdapterOptions {
  /** Counts answer tokens when the server reports no usage; defaults to `estimateCounter()` (chars / 4). */
  outputTokenCounter?: OutputTokenCounter;
}

type WireUsage = z.infer<typeof usageSchema>;

const embeddingsSchema = z.object({
  data: z.array(z.object({ index: z.number().int().nonnegative(), embedding: z.array(z.number()) })),
  usage: z.object({ prompt_tokens: countSchema }).nullish(),
});

/**
 * OpenAI-compatible chat completions over HTTP — OpenAI itself and the self-hosted servers that speak
 * the protocol (vLLM, TGI, Ollama, llama.cpp), so it serves the `vendor`, `local-gpu` and `distilled` tiers.
 *
 * - POSTs `${endpoint}/chat/completions` (endpoint is the base URL including `/v1`; trailing slashes are
 *   ignored) with `{ model: upstreamModel ?? id, messages, max_tokens, temperature, top_p, stop, seed, tools,
 *   tool_choice, parallel_tool_calls, response_format, reasoning_effort, service_tier, n, user, stream }`
 *   (unset fields are left out) plus the request's `passthrough` fields unchanged. Messages go as the client
 *   sent them (tool_calls, tool_call_id, content parts with images, refusal). Answers keep every choice's
 *   tool calls and refusal; streamed `delta.tool_calls` pieces are passed on as they arrive. `max_tokens` rather than `max_completion_tokens` by default, because
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
    const json = await readJson(res, id, input.signal);
    const parsed = plainCompletionOk(json) ? { success: true as const, data: json } : completionSchema.safeParse(json);
    if (!parsed.success) throw badResponse(id, 'missing or invalid fields in chat completion');
    const choices: ModelChoice[] = parsed.data.choices.map((c) => ({
      text: c.message.content ?? '',
      ...(c.message.tool_calls?.length && { toolCalls: c.message.tool_calls as ToolCall[] }),
      ...(c.message.refusal && { refusal: c.message.refusal }),
      finishReason: c.finish_reason ?? 'unknown',
    }));
    const first = choices[0]!;
    const counted = choices.map((c) => c.text + (c.refusal ?? '') + (c.toolCalls ?? []).map((t) => t.function.name + t.function.arguments).join('')).join('');
    const r = withUsage(counted, first.finishReason, toUsage(parsed.data.usage), this.counter, input.model);
    return {
      ...r,
      text: first.text,
      ...(first.toolCalls && { toolCalls: first.toolCalls }),
      ...(first.refusal && { refusal: first.refusal }),
      ...(choices.length > 1 && { choices }),
      ...(parsed.data.service_tier && { serviceTier: parsed.data.service_tier }),
    };
  }

  async *stream(input: ModelCallInput): AsyncIterable<StreamEvent> {
    const id = input.model.id;
    const res = await postJson(this.upstreamPost(input, true));
    let text = '';
    let refusal = '';
    let finishReason = 'unknown';
    let usage: WireUsage;
    let serviceTier: string | undefined;
    let sawDone = false;
    const calls: ToolCall[] = [];
    events: for await (const batch of readEventBatches(res, id, input.signal)) for (const event of batch) {
      if (event.data === '[DONE]') {
        sawDone = true;
        break events;
      }
      const json = parseEventData(id, event.data);
      if (json !== null && typeof json === 'object' && 'error' in json) {
        throw new ProviderError('server_error', id, `${id}: upstream reported an error mid-stream`);
      }
      const parsed = chunkOk(json) ? { success: true as const, data: json } : chunkSchema.safeParse(json);
      if (!parsed.success) throw badResponse(id, 'missing or invalid fields in stream chunk');
      const choice = parsed.data.choices[0];
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      if (parsed.data.usage) usage = parsed.data.usage;
      if (parsed.data.service_tier) serviceTier = parsed.data.service_tier;
      if (choice?.delta?.refusal) refusal += choice.delta.refusal;
      const delta = choice?.delta?.content ?? '';
      const toolCalls: ToolCallDelta[] = [];
      for (const t of choice?.delta?.tool_calls ?? []) {
        const piece: ToolCallDelta = { index: t.index, ...(t.id && { id: t.id }), ...(t.function?.name && { name: t.function.name }), arguments: t.function?.arguments ?? '' };
        const call = (calls[t.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
        if (piece.id) call.id = piece.id;
        if (piece.name) call.function.name += piece.name;
        call.function.arguments += piece.arguments;
        toolCalls.push(piece);
      }
      if (delta || toolCalls.length) {
        text += delta;
        yield toolCalls.length ? { type: 'delta', text: delta, toolCalls } : { type: 'delta', text: delta };
      }
    }
    if (!sawDone) throw streamCut(id, '[DONE]');
    const made = calls.filter(Boolean);
    const counted = text + refusal + made.map((t) => t.function.name + t.function.arguments).join('');
    const r = withUsage(counted, finishReason, toUsage(usage), this.counter, input.model);
    yield {
      type: 'done',
      response: { ...r, text, ...(made.length && { toolCalls: made }), ...(refusal && { refusal }), ...(serviceTier && { serviceTier }) },
    };
  }

  /** `POST ${endpoint}/embeddings` with `{ model, input, dimensions?, encoding_format: 'float' }`; vectors in input order. */
  async embed(input: EmbedCallInput): Promise<EmbedResponse> {
    const { model } = input;
    const key = apiKeyFor(model);
    const res = await postJson({
      modelId: model.id,
      url: endpointUrl(model.id, model.endpoint ?? OPENAI_DEFAULT_ENDPOINT, '/embeddings'),
      headers: key ? { authorization: `Bearer ${key}` } : {},
      body: { model: model.upstreamModel ?? model.id, input: input.input, encoding_format: 'float', ...(input.dimensions !== undefined && { dimensions: input.dimensions }) },
      signal: input.signal,
    });
    const parsed = embeddingsSchema.safeParse(await readJson(res, model.id, input.signal));
    if (!parsed.success) throw badResponse(model.id, 'missing or invalid fields in embeddings response');
    const byIndex = [...parsed.data.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    return { embeddings: byIndex, ...(parsed.data.usage && { usage: { inputTokens: parsed.data.usage.prompt_tokens } }) };
  }

  private upstreamPost(input: ModelCallInput, stream: boolean): UpstreamPost {
    const { model } = input;
    const key = apiKeyFor(model);
    const messagesText = jsonTextOf(input.messages); // the text the gateway parsed them from (engine/tools-json.ts)
    const post: UpstreamPost = {
      modelId: model.id,
      url: endpointUrl(model.id, model.endpoint ?? OPENAI_DEFAULT_ENDPOINT, '/chat/completions'),
      headers: key ? { authorization: `Bearer ${key}` } : {},
      body: {
        model: model.upstreamModel ?? model.id,
        ...input.passthrough,
        messages: messagesText === undefined ? input.messages : undefined, // undefined: left out by JSON.stringify, spliced in below
        [model.maxTokensField ?? 'max_tokens']: input.maxOutputTokens,
        temperature: input.temperature,
        ...(input.topP !== undefined && { top_p: input.topP }),
        ...(input.stop && { stop: input.stop }),
        ...(input.seed !== undefined && { seed: input.seed }),
        ...(input.toolChoice !== undefined && { tool_choice: input.toolChoice }),
        ...(input.parallelToolCalls !== undefined && { parallel_tool_calls: input.parallelToolCalls }),
        ...(input.responseFormat && { response_format: input.responseFormat }),
        ...(input.reasoningEffort && { reasoning_effort: input.reasoningEffort }),
        ...(input.serviceTier && { service_tier: input.serviceTier }),
        ...(input.n !== undefined && input.n !== 1 && { n: input.n }),
        ...(input.user && { user: input.user }),
        stream,
        ...(stream && { stream_options: { include_usage: true } }),
      },
      signal: input.signal,
    };
    // Texts the engine already has go in as they are (engine/tools-json.ts): the messages as the client sent
    // them to the gateway, first; the tools as made for their count (or as sent), last.
    if (messagesText !== undefined || input.tools) {
      const rest = JSON.stringify(post.body).slice(1, -1); // never empty: it holds the model
      const head = messagesText === undefined ? '{' : `{"messages":${messagesText},`;
      post.json = input.tools ? `${head}${rest},"tools":${toolsJson(input.tools)}}` : `${head}${rest}}`;
    }
    return post;
  }
}

/** The wire usage as Tollgate's TokenUsage; `cached_tokens` is a subset of `prompt_tokens`. */
function toUsage(usage: WireUsage): ModelResponse['usage'] | undefined {
  if (!usage) return undefined;
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    ...(usage.completion_tokens_details?.reasoning_tokens && { reasoningTokens: usage.completion_tokens_details.reasoning_tokens }),
  };
}
