import { ProviderError } from '../engine/errors.js';
import { readDataUrl } from '../engine/image-tokens.js';
import type { ChatMessage, ContentPart, ToolCall } from '../engine/request.js';
import type { ModelCallInput } from '../engine/seams/model-adapter.js';

/**
 * Chat Completions → Anthropic Messages, field by field (docs/gateway.md has the table):
 * - `system` and `developer` messages → the top-level `system` (text joined by blank lines);
 * - string content stays a string (a lone text part too); user content parts: `text` → text blocks; `image_url` with a data URL → `image` with a `base64` source
 *   (media type from the URL, checked against the bytes); an http(s) URL → `image` with a `url` source;
 * - assistant `content` → a text block, `tool_calls` → `tool_use` blocks (`arguments` parsed to `input`),
 *   `refusal` → a text block;
 * - `tool` messages → `tool_result` blocks (`tool_use_id` = `tool_call_id`) in a user turn; consecutive
 *   turns of one role are merged (Anthropic wants all results of parallel calls in one user turn);
 * - `tools` → `{ name, description, input_schema }` (`strict` kept); `tool_choice` auto/required/none/function
 *   → `{type: auto|any|none|tool}`; `parallel_tool_calls: false` → `disable_parallel_tool_use: true`;
 * - `response_format: json_schema` → `output_config.format = { type: 'json_schema', schema }` (Anthropic's
 *   structured outputs, GA); `json_object` → a system instruction to answer with one JSON object (Anthropic
 *   has no schemaless JSON mode);
 * - `reasoning_effort` → extended thinking `{ type: 'enabled', budget_tokens }` (minimal 1024, low 2048,
 *   medium 8192, high 16384, xhigh 32000, capped below max_tokens; `none` → no thinking; temperature and
 *   top_p are not sent with thinking, which Anthropic requires);
 * - `service_tier`: `auto`/`priority` → `auto`, `default` → `standard_only`; `flex` and `scale` have no
 *   Anthropic equivalent and are a client error (the engine falls back to the next model);
 * - the end user → `metadata.user_id`.
 */

export const THINKING_BUDGET: Record<string, number> = { minimal: 1024, low: 2048, medium: 8192, high: 16384, xhigh: 32000 };
const MIN_THINKING_BUDGET = 1024;
export const JSON_OBJECT_INSTRUCTION = 'Respond with a single JSON object and nothing else.';

type Block = Record<string, unknown>;
type Turn = { role: 'user' | 'assistant'; content: Block[] | string };

/** Blocks as Anthropic takes them: one lone text block as a plain string (as the client sent it), else the blocks. */
const collapse = (blocks: Block[]): Block[] | string => (blocks.length === 1 && blocks[0]!.type === 'text' ? (blocks[0]!.text as string) : blocks);
const expand = (c: Block[] | string): Block[] => (typeof c === 'string' ? [{ type: 'text', text: c }] : c);

function imageBlock(url: string, model: string): Block {
  if (!url.startsWith('data:')) return { type: 'image', source: { type: 'url', url } };
  const info = readDataUrl(url);
  if (typeof info === 'string') throw new ProviderError('client_error', model, `${model}: ${info}`);
  return { type: 'image', source: { type: 'base64', media_type: info.mediaType, data: info.base64 } };
}

function partsBlocks(content: ChatMessage['content'], model: string): Block[] {
  if (content == null) return [];
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  return content.map((p: ContentPart) => (p.type === 'text' ? { type: 'text', text: p.text } : imageBlock(p.image_url.url, model)));
}

function toolUse(c: ToolCall, model: string): Block {
  let input: unknown;
  try {
    input = c.function.arguments.trim() === '' ? {} : JSON.parse(c.function.arguments);
  } catch {
    throw new ProviderError('client_error', model, `${model}: tool call ${c.id} has arguments that are not JSON, which Anthropic cannot carry`);
  }
  return { type: 'tool_use', id: c.id, name: c.function.name, input };
}

/** The Messages API `system` and `messages` for a conversation. */
export function anthropicMessages(messages: readonly ChatMessage[], model: string): { system: string; messages: Turn[] } {
  const system: string[] = [];
  const turns: Turn[] = [];
  const push = (role: Turn['role'], blocks: Block[]) => {
    const prev = turns.at(-1);
    if (prev && prev.role === role) prev.content = [...expand(prev.content), ...blocks];
    else turns.push({ role, content: blocks });
  };
  for (const m of messages) {
    if (m.role === 'system' || m.role === 'developer') {
      const text = typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('');
      if (text) system.push(text);
    } else if (m.role === 'tool') {
      const blocks = partsBlocks(m.content, model);
      push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id, content: blocks.length ? collapse(blocks) : '' }]);
    } else if (m.role === 'assistant') {
      const blocks = partsBlocks(m.content, model);
      if (m.refusal) blocks.push({ type: 'text', text: m.refusal });
      for (const c of m.tool_calls ?? []) blocks.push(toolUse(c, model));
      push('assistant', blocks);
    } else push('user', partsBlocks(m.content, model));
  }
  for (const t of turns) if (Array.isArray(t.content)) t.content = collapse(t.content);
  return { system: system.join('\n\n'), messages: turns };
}

/** Tools, tool choice, output format, thinking, service tier and user: the Messages API fields for them. */
export function anthropicOptions(input: ModelCallInput): { fields: Record<string, unknown>; systemExtra?: string; thinking: boolean } {
  const model = input.model.id;
  const fields: Record<string, unknown> = {};
  if (input.tools?.length) {
    fields.tools = input.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description !== undefined && { description: t.function.description }),
      input_schema: t.function.parameters ?? { type: 'object', properties: {} },
      ...(t.function.strict != null && { strict: t.function.strict }),
    }));
  }
  const tc = input.toolChoice;
  let choice: Record<string, unknown> | undefined =
    tc === undefined ? undefined : tc === 'auto' ? { type: 'auto' } : tc === 'required' ? { type: 'any' } : tc === 'none' ? { type: 'none' } : { type: 'tool', name: tc.function.name };
  if (input.parallelToolCalls === false) choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  if (choice) fields.tool_choice = choice;
  let systemExtra: string | undefined;
  const rf = input.responseFormat;
  if (rf?.type === 'json_schema') fields.output_config = { format: { type: 'json_schema', schema: rf.json_schema.schema ?? { type: 'object' } } };
  else if (rf?.type === 'json_object') systemExtra = JSON_OBJECT_INSTRUCTION;
  let thinking = false;
  const effort = input.reasoningEffort;
  if (effort && effort !== 'none') {
    const budget = Math.min(THINKING_BUDGET[effort]!, input.maxOutputTokens - 1);
    if (budget < MIN_THINKING_BUDGET) throw new ProviderError('client_error', model, `${model}: reasoning_effort needs max_tokens above ${MIN_THINKING_BUDGET} on Anthropic`);
    fields.thinking = { type: 'enabled', budget_tokens: budget };
    thinking = true;
  }
  const tier = input.serviceTier;
  if (tier === 'flex' || tier === 'scale') throw new ProviderError('client_error', model, `${model}: service_tier ${tier} has no Anthropic equivalent`);
  if (tier) fields.service_tier = tier === 'default' ? 'standard_only' : 'auto';
  if (input.user) fields.metadata = { user_id: input.user };
  return { fields, systemExtra, thinking };
}

/** Anthropic `tool_use` blocks as OpenAI tool calls (`input` serialised to `arguments`). */
export function toolCallsOf(blocks: readonly { type: string; id?: string; name?: string; input?: unknown }[]): ToolCall[] | undefined {
  const calls = blocks.filter((b) => b.type === 'tool_use').map((b) => ({ id: b.id ?? '', type: 'function' as const, function: { name: b.name ?? '', arguments: JSON.stringify(b.input ?? {}) } }));
  return calls.length ? calls : undefined;
}
