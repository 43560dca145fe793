import { z } from 'zod';
import { ValidationError, toFieldIssues } from './errors.js';
import { imageHeaderIssue } from './image-tokens.js';
import { jsonSchemaIssue } from './json-schema-check.js';
import { DEFER_WITHIN, DEFER_WITHIN_MESSAGE, TASKS } from '../policies/schema.js';
import { fastValidRequest, isSharedToolsCopy, IMAGE_DETAILS, MAX_N, MESSAGE_ROLES, REASONING_EFFORTS, SERVICE_TIERS, TOOL_NAME } from './request-fast-check.js';

/**
 * The request model: OpenAI Chat Completions messages in full (the library's `TollgateRequest` and the
 * gateway's body are the same model). Messages keep OpenAI's field names (`tool_calls`, `tool_call_id`,
 * `image_url`), so a conversation travels through the engine unchanged; request-level options are camelCase.
 */

/** A text content part. */
export const textPartSchema = z.strictObject({ type: z.literal('text'), text: z.string() });
/** An image content part: an `https:`/`http:` URL or a `data:image/(png|jpeg|gif|webp);base64,…` URL. */
export const imagePartSchema = z.strictObject({
  type: z.literal('image_url'),
  image_url: z.strictObject({ url: z.string().min(1), detail: z.enum(IMAGE_DETAILS).optional() }),
});
export const contentPartSchema = z.discriminatedUnion('type', [textPartSchema, imagePartSchema], {
  error: (i) => (i.code === 'invalid_union' ? 'unknown content part type (text and image_url are supported)' : undefined),
});

/** A call the assistant made. `arguments` is the JSON text the model produced (kept verbatim). */
export const toolCallSchema = z.strictObject({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string().min(1), arguments: z.string() }),
});

/** A chat message as Tollgate accepts it (OpenAI Chat Completions shape). */
export const messageSchema = z.strictObject({
  role: z.enum(MESSAGE_ROLES),
  /** A string, content parts, or `null` (an assistant turn that only calls tools). */
  content: z.union([z.string(), z.array(contentPartSchema), z.null()]).optional(),
  name: z.string().min(1).optional(),
  /** Assistant only: the calls it made (several = parallel calls). */
  tool_calls: z.array(toolCallSchema).min(1).optional(),
  /** Tool only: the id of the assistant's call this message answers. */
  tool_call_id: z.string().min(1).optional(),
  /** Assistant only: a refusal the model gave instead of content. */
  refusal: z.string().nullable().optional(),
}).superRefine((m, ctx) => {
  if (m.content == null && !(m.role === 'assistant' && (m.tool_calls || m.refusal != null))) {
    ctx.addIssue({ code: 'custom', path: ['content'], message: m.role === 'assistant' ? 'an assistant message needs content, tool_calls or a refusal' : 'required' });
  }
});

/** A tool the model may call: a function with JSON-schema parameters. */
export const toolSchema = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: z.string().regex(TOOL_NAME, 'must be 1-64 characters of a-z, A-Z, 0-9, _ and -'),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

export const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string().min(1) }) }),
]);

export const responseFormatSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    json_schema: z.strictObject({
      name: z.string().regex(TOOL_NAME, 'must be 1-64 characters of a-z, A-Z, 0-9, _ and -'),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);

/** The most choices any model may be asked for (OpenAI's limit); a model's own `maxN` may be lower. */
export { MAX_N };

const requestObject = z.strictObject({
  /** The caller's request id: the decision record's `requestId`, and the idempotency key unless `idempotencyKey` is given. */
  id: z.string().min(1).max(200).optional(),
  /** Idempotency key (default: `id`): the same key and body within the retention window get the first answer again; `false`: none, even with an `id`. */
  idempotencyKey: z.union([z.string().min(1).max(200), z.literal(false)]).optional(),
  tenant: z.string().min(1).max(200),
  messages: z.array(messageSchema).min(1, 'must contain at least one message'),
  maxOutputTokens: z.number().int().positive().optional(),
  temperature: z.number().finite().min(0).max(2).optional(),
  /** Nucleus sampling, passed to the model (OpenAI `top_p`, Anthropic `top_p`). */
  topP: z.number().finite().min(0).max(1).optional(),
  /** Up to 4 stop sequences (OpenAI `stop`, Anthropic `stop_sequences`). */
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(4)]).optional(),
  /** Sampling seed, best effort (OpenAI-compatible `seed`; Anthropic has none). */
  seed: z.number().int().optional(),
  /** Functions the model may call (OpenAI `tools`; Anthropic `tools` with `input_schema`). */
  tools: z.array(toolSchema).max(128).optional(),
  /** OpenAI `tool_choice` (Anthropic `tool_choice`: auto / any / tool / none). */
  toolChoice: toolChoiceSchema.optional(),
  /** OpenAI `parallel_tool_calls` (Anthropic `disable_parallel_tool_use` = the negation). */
  parallelToolCalls: z.boolean().optional(),
  /** OpenAI `response_format` (Anthropic: `output_format` structured outputs; see docs/gateway.md). */
  responseFormat: responseFormatSchema.optional(),
  /** OpenAI `reasoning_effort` (Anthropic: extended thinking with a budget; see docs/gateway.md). */
  reasoningEffort: z.enum(REASONING_EFFORTS).optional(),
  /** OpenAI `service_tier` requested; the tier the vendor reports it served is what is priced. */
  serviceTier: z.enum(SERVICE_TIERS).optional(),
  /** Number of choices (OpenAI `n`); models declare `maxN` (Anthropic: 1). */
  n: z.number().int().min(1).max(MAX_N).optional(),
  /**
   * Chat Completions fields Tollgate does not model (e.g. `logprobs`, `logit_bias`, `prediction`),
   * sent unchanged to OpenAI-compatible upstreams; a model whose adapter cannot carry them is skipped.
   */
  passthrough: z.record(z.string(), z.unknown()).optional(),
  tags: z.array(z.string().min(1)).max(32).optional(),
  model: z.string().min(1).optional(),
  /** Optional task hint (e.g. from a trace); the classifier may use it. */
  task: z.enum(TASKS).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  /**
   * Simulation hints from a trace: known prompt tokens (replaces counting), actual output tokens and
   * observed per-model quality. Only the simulated adapter reads the last two.
   */
  simulation: z
    .strictObject({
      promptTokens: z.number().int().nonnegative().optional(),
      outputTokens: z.number().int().nonnegative().optional(),
      labels: z.record(z.string(), z.number().min(0).max(1)).optional(),
    })
    .optional(),
  /**
   * The request may wait up to `within` (`30m`, `24h`, `2d`): it is sent with others through the vendor's
   * batch API at its batch price, and `complete()` returns a handle (docs/capacity.md, "Deferrable work").
   */
  deferrable: z.strictObject({ within: z.string().regex(DEFER_WITHIN, DEFER_WITHIN_MESSAGE) }).optional(),
});

type Issue = { path: (string | number)[]; message: string };

/** Conversation rules no single field shows: roles, tool-call ids, images, schemas, tool choice. */
export function conversationIssues(r: z.infer<typeof requestObject>): Issue[] {
  const issues: Issue[] = [];
  const callIds = new Set<string>();
  r.messages.forEach((m, i) => {
    const at = (...p: (string | number)[]) => ['messages', i, ...p];
    if (m.tool_calls && m.role !== 'assistant') issues.push({ path: at('tool_calls'), message: 'only assistant messages carry tool_calls' });
    if (m.refusal != null && m.role !== 'assistant') issues.push({ path: at('refusal'), message: 'only assistant messages carry a refusal' });
    if (m.role === 'tool') {
      if (m.tool_call_id === undefined) issues.push({ path: at('tool_call_id'), message: 'a tool message needs the tool_call_id it answers' });
      else if (!callIds.has(m.tool_call_id)) issues.push({ path: at('tool_call_id'), message: `"${m.tool_call_id}" matches no earlier assistant tool call` });
    } else if (m.tool_call_id !== undefined) issues.push({ path: at('tool_call_id'), message: 'only tool messages carry a tool_call_id' });
    for (const c of m.tool_calls ?? []) callIds.add(c.id);
    if (Array.isArray(m.content)) {
      m.content.forEach((p, j) => {
        if (p.type !== 'image_url') return;
        if (m.role !== 'user') issues.push({ path: at('content', j, 'type'), message: 'image parts are only allowed in user messages' });
        const bad = imageHeaderIssue(p.image_url.url);
        if (bad) issues.push({ path: at('content', j, 'image_url', 'url'), message: bad });
      });
    }
  });
  if (r.tools?.length) issues.push(...toolsIssues(r.tools));
  const choice = r.toolChoice;
  if (choice !== undefined && choice !== 'none' && !r.tools?.length) issues.push({ path: ['toolChoice'], message: 'needs tools' });
  if (typeof choice === 'object' && r.tools?.length && !r.tools.some((t) => t.function.name === choice.function.name)) {
    issues.push({ path: ['toolChoice', 'function', 'name'], message: `"${choice.function.name}" is not one of the tools` });
  }
  if (r.parallelToolCalls !== undefined && !r.tools?.length) issues.push({ path: ['parallelToolCalls'], message: 'needs tools' });
  const rf = r.responseFormat;
  if (rf?.type === 'json_schema' && rf.json_schema.schema) {
    const bad = jsonSchemaIssue(rf.json_schema.schema, false);
    if (bad) issues.push({ path: ['responseFormat', 'json_schema', 'schema', ...bad.path], message: bad.message });
  }
  return issues;
}

/**
 * Shared tools copies found free of issues. The fast check hands every request that sends the same tools
 * text the same deeply frozen checked copy (engine/request-fast-check.ts, `isSharedToolsCopy`): an agent
 * sends the same twenty definitions with every turn, and checking their JSON schemas again cost ~20 µs a
 * request. Such a copy cannot change, so it stays clean; one with issues is never kept, so it is reported
 * every time.
 */
const cleanTools = new WeakSet<object>();

/** Duplicate tool names and malformed parameter schemas. */
function toolsIssues(tools: NonNullable<z.infer<typeof requestObject>['tools']>): Issue[] {
  if (cleanTools.has(tools)) return [];
  const issues: Issue[] = [];
  const names = new Set<string>();
  tools.forEach((t, i) => {
    if (names.has(t.function.name)) issues.push({ path: ['tools', i, 'function', 'name'], message: `duplicate tool name "${t.function.name}"` });
    names.add(t.function.name);
    const p = t.function.parameters;
    if (p) {
      const bad = jsonSchemaIssue(p, true);
      if (bad) issues.push({ path: ['tools', i, 'function', 'parameters', ...bad.path], message: bad.message });
    }
  });
  if (issues.length === 0 && isSharedToolsCopy(tools)) cleanTools.add(tools);
  return issues;
}

/**
 * A request to route. `messages` must be non-empty; `maxOutputTokens` caps the answer and sizes the
 * budget reservation. `model` pins a model (skips routing); `tags` feed rule conditions and budgets.
 */
export const requestSchema = requestObject.superRefine((r, ctx) => {
  for (const issue of conversationIssues(r)) ctx.addIssue({ code: 'custom', ...issue });
});

export type ContentPart = z.infer<typeof contentPartSchema>;
export type ToolCall = z.infer<typeof toolCallSchema>;
export type ToolDefinition = z.infer<typeof toolSchema>;
export type ToolChoice = z.infer<typeof toolChoiceSchema>;
export type ResponseFormat = z.infer<typeof responseFormatSchema>;
export type ChatMessage = z.infer<typeof messageSchema>;
/** A message reduced to the text that is counted and classified (engine/message-tokens.ts). */
export interface TextMessage {
  role: string;
  content: string;
  name?: string;
}
export type TollgateRequest = z.input<typeof requestSchema>;
export type ValidRequest = z.infer<typeof requestSchema>;

/** Validates a request; throws {@link ValidationError} with every failing field path. */
export function validateRequest(input: unknown): ValidRequest {
  const fast = quickValidRequest(input);
  if (fast) return fast;
  const parsed = requestSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('request', toFieldIssues(parsed.error.issues.flatMap(deepest)));
  return parsed.data;
}

/**
 * {@link requestSchema}'s answer without zod for a request it accepts (engine/request-fast-check.ts checks
 * the fields, then the conversation rules run here), or `undefined` when zod must decide (and report).
 */
export function quickValidRequest(input: unknown): ValidRequest | undefined {
  const fast = fastValidRequest(input);
  return fast && conversationIssues(fast).length === 0 ? fast : undefined;
}

type ZodIssueLike = z.core.$ZodIssue;

/** Zod issues with failed unions replaced by their deepest branch's issues (see {@link deepest}). */
export function deepIssues(issues: readonly ZodIssueLike[]): ZodIssueLike[] {
  return issues.flatMap(deepest);
}

/**
 * A union that failed as a whole (`content` is a string, parts or null) is reported by its branch that
 * got furthest into the value, so `messages[0].content[1].image_url` names the part, not just `content`.
 */
function deepest(issue: ZodIssueLike): ZodIssueLike[] {
  if (issue.code !== 'invalid_union' || !('errors' in issue) || !issue.errors.length) return [issue];
  let best: ZodIssueLike[] | undefined;
  let depth = 0;
  for (const branch of issue.errors) {
    const d = Math.max(0, ...branch.map((i) => i.path.length));
    if (d > depth) [best, depth] = [branch, d];
  }
  if (!best) return [issue];
  return best.flatMap((i) => deepest({ ...i, path: [...issue.path, ...i.path] } as ZodIssueLike));
}

/** The text of a message's content: the string, or its text parts joined (images are counted apart). */
export function contentText(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  let out = '';
  for (const p of content) if (p.type === 'text') out += p.text;
  return out;
}
