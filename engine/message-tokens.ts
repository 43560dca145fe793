import { imagePartTokens } from './image-tokens.js';
import type { ChatMessage, ResponseFormat, TextMessage, ToolDefinition, ValidRequest } from './request.js';
import { TextKeyedCache } from './text-keyed-cache.js';
import { countTokens, DEFAULT_ESTIMATE_FACTOR, type Encoding } from './tokens.js';
import { toolsJson } from './tools-json.js';

/**
 * Prompt tokens of what a request carries besides message text, counted before the call (see
 * docs/tokens.md): tool definitions, tool calls in the history, images and JSON-schema response formats.
 * The text of every message (content text parts, tool results, the calls' names and arguments) is
 * counted by the tokenizer with the chat overhead (engine/tokens.ts, on the token worker for large
 * prompts); the rest is added here per encoding. After the call the vendor's usage replaces the count;
 * the record keeps the difference (`tokens.precountDelta`, engine/decision-record.ts) and observers get
 * the pre-count (`precountedInputTokens`).
 */

/**
 * OpenAI's function-definition overhead, from openai-cookbook "How to count tokens with tiktoken"
 * (section 7, `num_tokens_for_tools`): per function 7 (gpt-4o family; 10 for cl100k models) + tokens of
 * `name:description`; 3 when it has properties; per property 3 + tokens of `name:type:description`;
 * an enum −3, then 3 + tokens per item; 12 at the end. The cookbook's example (get_current_weather with
 * two properties, two messages) is 101 prompt tokens on gpt-4o and 105 on gpt-4, equal to the API's.
 */
export const OPENAI_TOOL_OVERHEAD = {
  o200k_base: { funcInit: 7, propInit: 3, propKey: 3, enumInit: -3, enumItem: 3, funcEnd: 12 },
  cl100k_base: { funcInit: 10, propInit: 3, propKey: 3, enumInit: -3, enumItem: 3, funcEnd: 12 },
} as const;

/**
 * Anthropic's tool-use system prompt (docs "Tool use", Pricing): 346 tokens with `tool_choice` auto or
 * none, 313 with any or tool (Claude 4 / Sonnet 3.7 figures). Tool definitions are then the JSON of
 * name, description and input_schema, estimated like other Claude text (o200k × the estimate factor).
 */
export const ANTHROPIC_TOOL_SYSTEM_TOKENS = { auto: 346, any: 313 } as const;

/** A message's counted text: content text, or for a tool call its name and arguments. Images are counted apart. */
export function textOf(m: ChatMessage): string {
  let text = typeof m.content === 'string' ? m.content : '';
  if (Array.isArray(m.content)) for (const p of m.content) if (p.type === 'text') text += p.text;
  if (m.refusal) text += m.refusal;
  if (m.tool_calls) for (const c of m.tool_calls) text += (text ? '\n' : '') + c.function.name + '\n' + c.function.arguments;
  return text;
}

/** The messages as text (role, counted text, name): what the tokenizer, the size check and the classifier read. */
export function textMessages(messages: readonly ChatMessage[]): TextMessage[] {
  let plain = true;
  for (const m of messages) if (typeof m.content !== 'string' || m.tool_calls || m.refusal) plain = false;
  if (plain) return messages as TextMessage[];
  return messages.map((m) => ({ role: m.role, content: textOf(m), ...(m.name ? { name: m.name } : {}) }));
}

/** Whether a request carries anything {@link requestExtraTokens} counts (so plain chat skips it). */
export function hasExtras(r: Pick<ValidRequest, 'tools' | 'responseFormat' | 'messages'>): boolean {
  if (r.tools?.length || r.responseFormat?.type === 'json_schema') return true;
  for (const m of r.messages) if (Array.isArray(m.content) && m.content.some((p) => p.type === 'image_url')) return true;
  return false;
}

function base(encoding: Encoding): 'o200k_base' | 'cl100k_base' {
  return encoding === 'cl100k_base' ? 'cl100k_base' : 'o200k_base';
}

const stripDot = (s: string) => (s.endsWith('.') ? s.slice(0, -1) : s);

/** OpenAI's count of tool definitions (cookbook formula; nested schemas of a property counted as their JSON). */
export function openaiToolTokens(tools: readonly ToolDefinition[], encoding: 'o200k_base' | 'cl100k_base'): number {
  if (tools.length === 0) return 0;
  return cachedToolsCount(tools, encoding, () => {
    let n = 0;
    for (const t of tools) n += oneToolTokens(t, encoding);
    return n + OPENAI_TOOL_OVERHEAD[encoding].funcEnd;
  });
}

/**
 * Agents send the same tools with every request: the count of a tools array is kept per encoding by the
 * array's JSON, as message texts are kept by their text (engine/tokens.ts) — one serialisation per request
 * (remembered for the request's own array, which the request's other encodings and the upstream body reuse) and a lookup, instead of counting
 * twenty definitions again. The JSON is found by fingerprint and `===` (engine/text-keyed-cache.ts), not
 * hashed whole. Bounded: cleared past TOOLS_CACHE_LIMIT arrays or TOOLS_CACHE_LIMIT_CHARS of JSON.
 */
const TOOLS_CACHE_LIMIT = 10_000;
const TOOLS_CACHE_LIMIT_CHARS = 4 * 1024 * 1024;
const toolsCounts = new TextKeyedCache<Map<string, number>>(TOOLS_CACHE_LIMIT, TOOLS_CACHE_LIMIT_CHARS);

function cachedToolsCount(tools: readonly ToolDefinition[], kind: string, count: () => number): number {
  const json = toolsJson(tools); // the same text the upstream body carries (engine/tools-json.ts)
  let counts = toolsCounts.get(json);
  let n = counts?.get(kind);
  if (n !== undefined) return n;
  n = count();
  if (!counts) {
    counts = new Map();
    toolsCounts.set(json, counts);
  }
  counts.set(kind, n);
  return n;
}

function oneToolTokens(t: ToolDefinition, encoding: 'o200k_base' | 'cl100k_base'): number {
  const k = OPENAI_TOOL_OVERHEAD[encoding];
  let n = 0;
  {
    const f = t.function;
    n += k.funcInit + countTokens(`${f.name}:${stripDot(f.description ?? '')}`, encoding);
    const props = (f.parameters?.properties ?? {}) as Record<string, Record<string, unknown>>;
    const keys = Object.keys(props);
    if (keys.length === 0) return n;
    n += k.propInit;
    for (const key of keys) {
      const p = props[key] ?? {};
      n += k.propKey;
      if (Array.isArray(p.enum)) {
        n += k.enumInit;
        for (const item of p.enum) n += k.enumItem + countTokens(String(item), encoding);
      }
      const type = typeof p.type === 'string' ? p.type : JSON.stringify(p.type ?? '');
      n += countTokens(`${key}:${type}:${stripDot(typeof p.description === 'string' ? p.description : '')}`, encoding);
      for (const nested of ['properties', 'items', 'anyOf', 'oneOf', 'allOf'] as const) {
        if (p[nested] !== undefined) n += countTokens(JSON.stringify(p[nested]), encoding);
      }
    }
  }
  return n;
}

/** Anthropic's tool overhead, estimated: the tool-use system prompt plus the definitions' JSON. */
export function anthropicToolTokens(tools: readonly ToolDefinition[], toolChoice: ValidRequest['toolChoice'], factor = DEFAULT_ESTIMATE_FACTOR): number {
  if (tools.length === 0) return 0;
  const forced = toolChoice === 'required' || typeof toolChoice === 'object';
  const base = cachedToolsCount(tools, 'anthropic', () =>
    countTokens(JSON.stringify(tools.map((t) => ({ name: t.function.name, description: t.function.description, input_schema: t.function.parameters }))), 'o200k_base'),
  );
  return (forced ? ANTHROPIC_TOOL_SYSTEM_TOKENS.any : ANTHROPIC_TOOL_SYSTEM_TOKENS.auto) + Math.ceil(base * factor);
}

/** A JSON-schema response format: the schema's JSON (vendors add it to the prompt as a grammar or instructions). */
export function responseFormatTokens(rf: ResponseFormat | undefined, encoding: Encoding): number {
  if (rf?.type !== 'json_schema') return 0;
  return countTokens(JSON.stringify({ name: rf.json_schema.name, schema: rf.json_schema.schema ?? {} }), encoding);
}

/** Image parts' tokens: OpenAI's tile formula for OpenAI encodings, Anthropic's w×h/750 for `estimate` (Claude). */
export function imageTokens(messages: readonly ChatMessage[], encoding: Encoding): number {
  const family = encoding === 'estimate' ? 'anthropic' : 'openai';
  let n = 0;
  for (const m of messages) {
    if (!Array.isArray(m.content)) continue;
    for (const p of m.content) if (p.type === 'image_url') n += imagePartTokens(p.image_url.url, p.image_url.detail, family);
  }
  return n;
}

/** Every non-text part of a request's prompt for one encoding. */
export function requestExtraTokens(r: ValidRequest, encoding: Encoding): number {
  const tools = r.tools ?? [];
  const toolTokens = encoding === 'estimate' ? anthropicToolTokens(tools, r.toolChoice) : openaiToolTokens(tools, base(encoding));
  return toolTokens + imageTokens(r.messages, encoding) + responseFormatTokens(r.responseFormat, encoding);
}
