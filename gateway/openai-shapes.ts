import { z } from 'zod';
import type { CompletionResult } from '../index.js';
import type { ToolCall, ToolCallDelta, TollgateRequest } from '../index.js';
import { carryJsonText, messageSchema } from '../index.js';

/**
 * The OpenAI chat-completions wire shapes the gateway accepts and returns.
 *
 * Every field of the body is carried, translated or refused (docs/gateway.md has the table):
 * - modelled: `model` (a policy model id pins it; `auto` lets Tollgate route), `messages` (as sent: roles
 *   system/developer/user/assistant/tool, string or text/image_url parts, `tool_calls`, `tool_call_id`,
 *   `refusal`, `name`), `stream`, `stream_options.include_usage`, `max_completion_tokens` / `max_tokens`,
 *   `temperature`, `top_p`, `stop`, `seed`, `tools`, `tool_choice`, `parallel_tool_calls`,
 *   `response_format` (text, json_object, json_schema), `reasoning_effort`, `service_tier`, `n`,
 *   `user` and `metadata` (request metadata; `user` also goes to the model);
 * - {@link PASSTHROUGH_FIELDS}: not modelled, sent unchanged to OpenAI-compatible models (a request carrying
 *   one is never routed to another kind of model);
 * - anything else (`functions`, `function_call`, unknown names) is refused with a 400 naming the field.
 * Message fields a client echoes back empty from an answer (`annotations: []`, `audio: null`,
 * `function_call: null`) are accepted and not forwarded; any other unknown message field is refused.
 */
export const AUTO_MODEL = 'auto';

/** Chat Completions fields Tollgate does not model and passes to OpenAI-compatible upstreams unchanged. */
export const PASSTHROUGH_FIELDS = [
  'logprobs', 'top_logprobs', 'logit_bias', 'presence_penalty', 'frequency_penalty', 'prediction', 'modalities', 'audio',
  'store', 'web_search_options', 'verbosity', 'prompt_cache_key', 'prompt_cache_retention', 'safety_identifier',
] as const;

const REFUSED: Record<string, string> = {
  functions: 'the deprecated functions field is not supported; send tools',
  function_call: 'the deprecated function_call field is not supported; send tool_choice',
};

/** A message as sent, less the empty fields an answer echoed back carries. */
function wireMessage(m: unknown): unknown {
  if (typeof m !== 'object' || m === null || (!('annotations' in m) && !('audio' in m) && !('function_call' in m))) return m;
  const out: Record<string, unknown> = { ...(m as Record<string, unknown>) };
  if (out.annotations === null || (Array.isArray(out.annotations) && out.annotations.length === 0)) delete out.annotations;
  if (out.audio === null) delete out.audio;
  if (out.function_call === null) delete out.function_call;
  return out;
}

/** The body's messages as the engine takes them; the same messages keep their JSON text (engine/tools-json.ts). */
function wireMessages(messages: readonly unknown[]): unknown[] {
  const out = messages.map(wireMessage);
  for (let i = 0; i < out.length; i++) if (out[i] !== messages[i]) return out;
  return carryJsonText(messages, out);
}

export const chatBodySchema = z
  .object({
    model: z.string().min(1),
    // Checked in full once, by the engine (its ValidationError names the path); here only when the body fails anyway, so one 400 names every failing field.
    messages: z.array(z.unknown()).min(1, 'must contain at least one message'),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    temperature: z.number().finite().min(0).max(2).nullish(),
    top_p: z.number().finite().min(0).max(1).nullish(),
    stop: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(4)]).nullish(),
    seed: z.number().int().nullish(),
    response_format: z.unknown().optional(),
    n: z.number().int().min(1).nullish(),
    user: z.string().max(200).nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
    tools: z.unknown().optional(),
    tool_choice: z.unknown().optional(),
    parallel_tool_calls: z.boolean().nullish(),
    reasoning_effort: z.unknown().optional(),
    service_tier: z.unknown().optional(),
  })
  .catchall(z.unknown())
  .superRefine((b, ctx) => {
    for (const k of Object.keys(b)) {
      if (k in KNOWN_FIELDS || (PASSTHROUGH_FIELDS as readonly string[]).includes(k)) continue;
      ctx.addIssue({ code: 'custom', path: [k], message: REFUSED[k] ?? `unknown field "${k}" is not carried by the gateway` });
    }
    if (b.stream_options && !b.stream) ctx.addIssue({ code: 'custom', message: 'stream_options requires stream: true', path: ['stream_options'] });
    if (b.stream && b.n != null && b.n > 1) ctx.addIssue({ code: 'custom', message: 'n > 1 is not supported with stream: true', path: ['n'] });
  });

const KNOWN_FIELDS: Record<string, true> = Object.fromEntries(
  ['model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'seed', 'response_format', 'n', 'user', 'metadata', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning_effort', 'service_tier'].map((k) => [k, true]),
);

export type ChatBody = z.infer<typeof chatBodySchema>;

const messagesSchema = z.array(z.preprocess(wireMessage, messageSchema));

/** The issues of the body's messages (for a body that already failed, so its 400 lists them too). */
export function messageIssues(body: unknown): z.core.$ZodIssue[] {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return [];
  const r = messagesSchema.safeParse(messages);
  return r.success ? [] : r.error.issues.map((i) => ({ ...i, path: ['messages', ...i.path] }));
}

/** Body field names for the engine's request fields (error paths are reported in the client's names). */
export const WIRE_FIELD: Record<string, string> = {
  maxOutputTokens: 'max_tokens', topP: 'top_p', toolChoice: 'tool_choice', parallelToolCalls: 'parallel_tool_calls',
  responseFormat: 'response_format', reasoningEffort: 'reasoning_effort', serviceTier: 'service_tier',
};


/** Turns a validated body into an engine request for `tenant` with the gateway's request id. */
export function toTollgateRequest(body: ChatBody, tenant: string, id: string, tags: string[] | undefined): TollgateRequest {
  const metadata: Record<string, string> = { ...(body.metadata ?? {}) };
  if (body.user) metadata.user = body.user;
  const max = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  let passthrough: Record<string, unknown> | undefined;
  for (const k of PASSTHROUGH_FIELDS) if (body[k] !== undefined) (passthrough ??= {})[k] = body[k];
  return {
    id,
    tenant,
    messages: wireMessages(body.messages) as TollgateRequest['messages'],
    ...(max !== undefined ? { maxOutputTokens: max } : {}),
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(body.top_p != null ? { topP: body.top_p } : {}),
    ...(body.stop != null ? { stop: body.stop } : {}),
    ...(body.seed != null ? { seed: body.seed } : {}),
    ...(body.tools != null ? { tools: body.tools as TollgateRequest['tools'] } : {}),
    ...(body.tool_choice != null ? { toolChoice: body.tool_choice as TollgateRequest['toolChoice'] } : {}),
    ...(body.parallel_tool_calls != null ? { parallelToolCalls: body.parallel_tool_calls } : {}),
    ...(body.response_format != null ? { responseFormat: body.response_format as TollgateRequest['responseFormat'] } : {}),
    ...(body.reasoning_effort != null ? { reasoningEffort: body.reasoning_effort as TollgateRequest['reasoningEffort'] } : {}),
    ...(body.service_tier != null ? { serviceTier: body.service_tier as TollgateRequest['serviceTier'] } : {}),
    ...(body.n != null ? { n: body.n } : {}),
    ...(passthrough ? { passthrough } : {}),
    ...(body.model !== AUTO_MODEL ? { model: body.model } : {}),
    ...(tags && tags.length ? { tags } : {}),
    ...(Object.keys(metadata).length ? { metadata } : {}),
  };
}

/** OpenAI `usage` from the settled usage of the decision record. */
export function usageOf(r: CompletionResult) {
  return {
    prompt_tokens: r.usage.inputTokens,
    completion_tokens: r.usage.outputTokens,
    total_tokens: r.usage.inputTokens + r.usage.outputTokens,
    prompt_tokens_details: { cached_tokens: r.usage.cachedInputTokens },
  };
}

export const completionId = (requestId: string): string => `chatcmpl-${requestId}`;

/** OpenAI's finish reasons; anything else a model reported is sent as `stop`. */
const FINISH = new Set(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']);
export const finishReasonOf = (f: string | undefined): string => (f && FINISH.has(f) ? f : 'stop');

type Choice = { text: string; toolCalls?: ToolCall[]; refusal?: string; finishReason: string };

function messageOf(c: Choice) {
  return {
    role: 'assistant' as const,
    content: c.toolCalls && c.text === '' ? null : c.text,
    refusal: c.refusal ?? null,
    ...(c.toolCalls && { tool_calls: c.toolCalls }),
  };
}

/** A non-streaming `chat.completion` object (every choice when `n` > 1). */
export function completionBody(r: CompletionResult, created: number) {
  const choices: Choice[] = r.choices ?? [{ text: r.text, toolCalls: r.toolCalls, refusal: r.refusal, finishReason: r.finishReason }];
  return {
    id: completionId(r.id),
    object: 'chat.completion' as const,
    created,
    model: r.model,
    choices: choices.map((c, index) => ({ index, message: messageOf(c), logprobs: null, finish_reason: finishReasonOf(c.finishReason) })),
    usage: usageOf(r),
    system_fingerprint: null,
  };
}

/** A streamed delta in OpenAI's shape: content and/or tool-call pieces. */
export interface WireDelta {
  role?: 'assistant';
  content?: string;
  tool_calls?: { index: number; id?: string; type?: 'function'; function: { name?: string; arguments: string } }[];
}

/** Tool-call pieces in OpenAI's chunk shape (`id`, `type` and `name` on a call's first piece). */
export function wireToolCalls(calls: readonly ToolCallDelta[]): WireDelta['tool_calls'] {
  return calls.map((c) => ({ index: c.index, ...(c.id && { id: c.id, type: 'function' as const }), function: { ...(c.name && { name: c.name }), arguments: c.arguments } }));
}

/** One `chat.completion.chunk` with a delta (or a finish reason), serialised as an SSE event. */
export function chunkEvent(id: string, created: number, model: string, delta: WireDelta, finish: string | null): string {
  const chunk = { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/**
 * {@link chunkEvent}`(id, created, model, delta, null)` for the deltas of one stream, with the parts every
 * chunk repeats serialised once: the same bytes, one `JSON.stringify` of the delta alone per chunk.
 */
export function deltaEvents(id: string, created: number, model: string): (delta: WireDelta) => string {
  const head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${JSON.stringify(created)},"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":`;
  const tail = ',"logprobs":null,"finish_reason":null}],"usage":null}\n\n';
  return (delta) => head + JSON.stringify(delta) + tail;
}

/** The final usage chunk (`choices: []`) sent when `stream_options.include_usage` is set. */
export function usageEvent(id: string, created: number, r: CompletionResult): string {
  const chunk = { id, object: 'chat.completion.chunk', created, model: r.model, choices: [], usage: usageOf(r) };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export const DONE_EVENT = 'data: [DONE]\n\n';

/** OpenAI's error body. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export const errorBody = (message: string, type: string, code: string | null, param: string | null = null): OpenAIErrorBody => ({
  error: { message, type, param, code },
});
