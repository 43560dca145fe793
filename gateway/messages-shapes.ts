import { z } from 'zod';
import type { CompletionResult, ToolCall, TollgateRequest } from '../index.js';
import { AUTO_MODEL } from './openai-shapes.js';

/**
 * The Anthropic Messages API wire shapes the gateway accepts on `POST /v1/messages` and returns, and their
 * translation to the engine's request model (OpenAI Chat Completions shape; docs/gateway.md has the table):
 * - `system` (string or text blocks) → a leading system message; `messages[].content` string or blocks:
 *   `text` → text parts, `image` (base64 / url source) → `image_url` parts (a data URL for base64),
 *   assistant `tool_use` → `tool_calls` (`input` serialised as `arguments`), user `tool_result` → `tool`
 *   messages (`tool_use_id` → `tool_call_id`; `is_error: true` prefixes the text with `[tool error] `),
 *   placed before the rest of that user turn, as Chat Completions wants them;
 * - `tools` → functions (`input_schema` → `parameters`); `tool_choice` auto/any/tool/none → auto/required/
 *   function/none, `disable_parallel_tool_use` → `parallel_tool_calls: false`;
 * - `max_tokens`, `temperature`, `top_p`, `stop_sequences` (≤ 4), `metadata.user_id` (→ metadata `user`),
 *   `thinking.budget_tokens` → `reasoning_effort` (≤ 1024 minimal, ≤ 2048 low, ≤ 8192 medium, else high),
 *   `output_config.format` (json_schema) → `response_format`, `service_tier` auto / standard_only → auto / default;
 * - refused with a 400 naming the field: `top_k`, `cache_control` on any block, `thinking` and
 *   `redacted_thinking` blocks, `document` and server-tool blocks, server tools (a `type` on a tool), images in
 *   tool results, unknown fields. Tollgate does not carry them across protocols, and never drops them silently.
 */

const text = z.strictObject({ type: z.literal('text'), text: z.string(), citations: z.null().optional() });
const image = z.strictObject({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('base64'), media_type: z.enum(['image/png', 'image/jpeg', 'image/gif', 'image/webp']), data: z.string().min(1) }),
    z.strictObject({ type: z.literal('url'), url: z.string().min(1) }),
  ]),
});
const toolUse = z.strictObject({ type: z.literal('tool_use'), id: z.string().min(1), name: z.string().min(1), input: z.record(z.string(), z.unknown()) });
const toolResult = z.strictObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(text)]).optional(),
  is_error: z.boolean().optional(),
});
const block = z.discriminatedUnion('type', [text, image, toolUse, toolResult], {
  error: (i) => (i.code === 'invalid_union' ? 'unsupported content block type (text, image, tool_use and tool_result are carried)' : undefined),
});

const message = z.strictObject({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(block)]) });

const tool = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()),
  strict: z.boolean().optional(),
});

export const messagesBodySchema = z.strictObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z.array(message).min(1, 'must contain at least one message'),
  system: z.union([z.string(), z.array(text)]).optional(),
  metadata: z.strictObject({ user_id: z.string().max(200).nullish() }).optional(),
  stop_sequences: z.array(z.string().min(1)).max(4, 'at most 4 stop sequences are carried').optional(),
  stream: z.boolean().optional(),
  temperature: z.number().finite().min(0).max(1).optional(),
  top_p: z.number().finite().min(0).max(1).optional(),
  tools: z.array(tool).optional(),
  tool_choice: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
      z.strictObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
      z.strictObject({ type: z.literal('tool'), name: z.string().min(1), disable_parallel_tool_use: z.boolean().optional() }),
      z.strictObject({ type: z.literal('none') }),
    ])
    .optional(),
  thinking: z.discriminatedUnion('type', [z.strictObject({ type: z.literal('enabled'), budget_tokens: z.number().int().min(1024) }), z.strictObject({ type: z.literal('disabled') })]).optional(),
  output_config: z.strictObject({ format: z.strictObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).optional() }).optional(),
  service_tier: z.enum(['auto', 'standard_only']).optional(),
});

export type MessagesBody = z.infer<typeof messagesBodySchema>;
type EngineMessage = TollgateRequest['messages'][number];

function effort(budget: number): TollgateRequest['reasoningEffort'] {
  return budget <= 1024 ? 'minimal' : budget <= 2048 ? 'low' : budget <= 8192 ? 'medium' : 'high';
}

const toolResultText = (r: z.infer<typeof toolResult>): string => {
  const t = typeof r.content === 'string' ? r.content : (r.content ?? []).map((b) => b.text).join('');
  return r.is_error ? `[tool error] ${t}` : t;
};

/** The engine request for a Messages body. */
export function messagesToRequest(body: MessagesBody, tenant: string, id: string, tags: string[] | undefined): TollgateRequest {
  const messages: EngineMessage[] = [];
  const system = typeof body.system === 'string' ? body.system : (body.system ?? []).map((b) => b.text).join('\n\n');
  if (system) messages.push({ role: 'system', content: system });
  for (const m of body.messages) {
    if (typeof m.content === 'string') {
      messages.push({ role: m.role, content: m.content });
      continue;
    }
    if (m.role === 'assistant') {
      const textOut = m.content.filter((b) => b.type === 'text').map((b) => (b as z.infer<typeof text>).text).join('');
      const calls: ToolCall[] = m.content
        .filter((b) => b.type === 'tool_use')
        .map((b) => {
          const u = b as z.infer<typeof toolUse>;
          return { id: u.id, type: 'function', function: { name: u.name, arguments: JSON.stringify(u.input) } };
        });
      messages.push({ role: 'assistant', content: calls.length && !textOut ? null : textOut, ...(calls.length && { tool_calls: calls }) });
      continue;
    }
    const parts: Exclude<EngineMessage['content'], string | null | undefined> = [];
    for (const b of m.content) {
      if (b.type === 'tool_result') messages.push({ role: 'tool', tool_call_id: b.tool_use_id, content: toolResultText(b) });
      else if (b.type === 'text') parts.push({ type: 'text', text: b.text });
      else if (b.type === 'image') parts.push({ type: 'image_url', image_url: { url: b.source.type === 'base64' ? `data:${b.source.media_type};base64,${b.source.data}` : b.source.url } });
    }
    if (parts.length) messages.push({ role: 'user', content: parts.length === 1 && parts[0]!.type === 'text' ? parts[0]!.text : parts });
  }
  const tc = body.tool_choice;
  const metadata: Record<string, string> = {};
  if (body.metadata?.user_id) metadata.user = body.metadata.user_id;
  return {
    id,
    tenant,
    messages,
    maxOutputTokens: body.max_tokens,
    ...(body.temperature !== undefined && { temperature: body.temperature }),
    ...(body.top_p !== undefined && { topP: body.top_p }),
    ...(body.stop_sequences?.length && { stop: body.stop_sequences }),
    ...(body.tools?.length && {
      tools: body.tools.map((t) => ({ type: 'function' as const, function: { name: t.name, ...(t.description !== undefined && { description: t.description }), parameters: t.input_schema, ...(t.strict !== undefined && { strict: t.strict }) } })),
    }),
    ...(tc && { toolChoice: tc.type === 'auto' ? 'auto' : tc.type === 'any' ? 'required' : tc.type === 'none' ? 'none' : { type: 'function' as const, function: { name: tc.name } } }),
    ...(tc && 'disable_parallel_tool_use' in tc && tc.disable_parallel_tool_use && body.tools?.length && { parallelToolCalls: false }),
    ...(body.thinking?.type === 'enabled' && { reasoningEffort: effort(body.thinking.budget_tokens) }),
    ...(body.output_config?.format && { responseFormat: { type: 'json_schema' as const, json_schema: { name: 'output', schema: body.output_config.format.schema, strict: true } } }),
    ...(body.service_tier && { serviceTier: body.service_tier === 'standard_only' ? ('default' as const) : ('auto' as const) }),
    ...(body.model !== AUTO_MODEL && { model: body.model }),
    ...(tags && tags.length ? { tags } : {}),
    ...(Object.keys(metadata).length ? { metadata } : {}),
  };
}

const STOP: Record<string, string> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', content_filter: 'refusal' };
export const stopReasonOf = (finish: string): string => STOP[finish] ?? 'end_turn';

export const messageId = (requestId: string): string => `msg_${requestId}`;

function toolInput(args: string): Record<string, unknown> {
  try {
    const v = JSON.parse(args) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return { _arguments: args }; // a model that produced arguments that are not JSON: kept verbatim
  }
}

/** Anthropic usage from the settled usage: `input_tokens` excludes cache reads and writes. */
export function anthropicUsage(r: CompletionResult) {
  const read = r.usage.cachedInputTokens;
  const write = r.usage.cacheWriteTokens ?? 0;
  return { input_tokens: Math.max(0, r.usage.inputTokens - read - write), output_tokens: r.usage.outputTokens, cache_read_input_tokens: read, cache_creation_input_tokens: write };
}

/** A non-streaming `message` object. */
export function messageBody(r: CompletionResult) {
  const content: Record<string, unknown>[] = [];
  const said = r.text || r.refusal || '';
  if (said || !r.toolCalls) content.push({ type: 'text', text: said });
  for (const c of r.toolCalls ?? []) content.push({ type: 'tool_use', id: c.id, name: c.function.name, input: toolInput(c.function.arguments) });
  return { id: messageId(r.id), type: 'message', role: 'assistant', model: r.model, content, stop_reason: stopReasonOf(r.finishReason), stop_sequence: null, usage: anthropicUsage(r) };
}

/** One SSE event in Anthropic's framing (`event:` name and `data:` JSON). */
export const sseEvent = (name: string, data: object): string => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;

const ERROR_TYPES: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error', 409: 'invalid_request_error', 413: 'request_too_large', 422: 'invalid_request_error', 429: 'rate_limit_error', 503: 'overloaded_error', 504: 'api_error' };

/** Anthropic's error body for an HTTP status. */
export function anthropicError(status: number, message: string) {
  return { type: 'error', error: { type: ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message } };
}
