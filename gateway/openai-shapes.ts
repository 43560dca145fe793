import { z } from 'zod';
import type { CompletionResult } from '../index.js';
import type { TollgateRequest } from '../index.js';

/**
 * The OpenAI chat-completions wire shapes the gateway accepts and returns.
 *
 * Accepted body (unknown fields are ignored, not forwarded): `model` (a policy model id pins it; `auto`
 * lets Tollgate route), `messages` (string content, or text content parts, which are joined),
 * `stream`, `stream_options.include_usage`, `max_completion_tokens` / `max_tokens`, `temperature`,
 * `top_p`, `stop`, `seed` (passed to the model), `n` (only 1), `user` and `metadata` (kept as request
 * metadata). `tools` / `functions` are refused, since the engine does not carry tool calls, and so is a
 * `response_format` other than `text`: JSON modes differ between vendors and are not routed.
 */
export const AUTO_MODEL = 'auto';

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const message = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']),
  content: z.union([z.string(), z.array(textPart).min(1), z.null()]),
  name: z.string().min(1).optional(),
});

export const chatBodySchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(message).min(1, 'must contain at least one message'),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    temperature: z.number().finite().min(0).max(2).nullish(),
    top_p: z.number().finite().min(0).max(1).nullish(),
    stop: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(4)]).nullish(),
    seed: z.number().int().nullish(),
    response_format: z.object({ type: z.literal('text', 'only response_format text is supported by the gateway (JSON modes are not routed)') }).nullish(),
    n: z.literal(1, 'only n=1 is supported').nullish(),
    user: z.string().max(200).nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
    tools: z.array(z.unknown()).max(0, 'tool calls are not supported by the gateway').nullish(),
    functions: z.array(z.unknown()).max(0, 'function calls are not supported by the gateway').nullish(),
  })
  .refine((b) => !(b.stream_options && !b.stream), { message: 'stream_options requires stream: true', path: ['stream_options'] });

export type ChatBody = z.infer<typeof chatBodySchema>;

/** Turns a validated body into an engine request for `tenant` with the gateway's request id. */
export function toTollgateRequest(body: ChatBody, tenant: string, id: string, tags: string[] | undefined): TollgateRequest {
  const metadata: Record<string, string> = { ...(body.metadata ?? {}) };
  if (body.user) metadata.user = body.user;
  const max = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  return {
    id,
    tenant,
    messages: body.messages.map((m) => ({
      role: m.role,
      content: typeof m.content === 'string' ? m.content : m.content === null ? '' : m.content.map((p) => p.text).join(''),
      ...(m.name ? { name: m.name } : {}),
    })),
    ...(max !== undefined ? { maxOutputTokens: max } : {}),
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(body.top_p != null ? { topP: body.top_p } : {}),
    ...(body.stop != null ? { stop: body.stop } : {}),
    ...(body.seed != null ? { seed: body.seed } : {}),
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

/** A non-streaming `chat.completion` object. */
export function completionBody(r: CompletionResult, created: number) {
  return {
    id: completionId(r.id),
    object: 'chat.completion' as const,
    created,
    model: r.model,
    choices: [{ index: 0, message: { role: 'assistant' as const, content: r.text, refusal: null }, logprobs: null, finish_reason: 'stop' as const }],
    usage: usageOf(r),
    system_fingerprint: null,
  };
}

/** One `chat.completion.chunk` with a delta (or a finish reason), serialised as an SSE event. */
export function chunkEvent(id: string, created: number, model: string, delta: { role?: 'assistant'; content?: string }, finish: 'stop' | null): string {
  const chunk = { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null };
  return `data: ${JSON.stringify(chunk)}\n\n`;
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
