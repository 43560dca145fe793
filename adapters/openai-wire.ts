/**
 * The OpenAI-compatible answers the adapter reads — a chat completion and a stream chunk — as zod schemas,
 * with exact fast checks in front of them. Each check returns `true` only when its zod schema would accept the
 * value AND the fields the adapter reads from zod's output equal the raw value's (zod drops unknown keys
 * the adapter never reads; a completion's tool calls get a `type` default, so a completion with tool calls
 * is left to zod). Anything else returns `false` and goes to zod, which decides and names the fault.
 * Zod on every answer and every stream chunk was a few percent of the gateway's CPU (#17).
 */

import { z } from 'zod';

export const countSchema = z.number().int().nonnegative();

export const usageSchema = z
  .object({
    prompt_tokens: countSchema,
    completion_tokens: countSchema,
    prompt_tokens_details: z.object({ cached_tokens: countSchema.nullish() }).nullish(),
    completion_tokens_details: z.object({ reasoning_tokens: countSchema.nullish() }).nullish(),
  })
  .nullish();

const toolCallSchema = z.object({ id: z.string(), type: z.literal('function').default('function'), function: z.object({ name: z.string(), arguments: z.string() }) });

export const completionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullish(), tool_calls: z.array(toolCallSchema).nullish(), refusal: z.string().nullish() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: usageSchema,
  service_tier: z.string().nullish(),
});

const toolCallDeltaSchema = z.object({
  index: z.number().int().nonnegative(),
  id: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

/** A stream chunk. `choices` is required but may be empty (the final usage chunk). */
export const chunkSchema = z.object({
  choices: z.array(
    z.object({
      delta: z.object({ content: z.string().nullish(), tool_calls: z.array(toolCallDeltaSchema).nullish(), refusal: z.string().nullish() }).nullish(),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage: usageSchema,
  service_tier: z.string().nullish(),
});

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const nullish = (v: unknown): boolean => v === undefined || v === null;
const optString = (v: unknown): boolean => nullish(v) || typeof v === 'string';
/** zod `z.number().int().nonnegative()`: a safe integer ≥ 0. */
const count = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function usageOk(u: unknown): boolean {
  if (nullish(u)) return true;
  if (!isObj(u) || !count(u.prompt_tokens) || !count(u.completion_tokens)) return false;
  const p = u.prompt_tokens_details;
  if (!nullish(p) && !(isObj(p) && (nullish(p.cached_tokens) || count(p.cached_tokens)))) return false;
  const c = u.completion_tokens_details;
  return nullish(c) || (isObj(c) && (nullish(c.reasoning_tokens) || count(c.reasoning_tokens)));
}

/** A non-streamed `chat.completion` without tool calls that the adapter's schema accepts as is. */
export function plainCompletionOk(v: unknown): v is z.infer<typeof completionSchema> {
  if (!isObj(v) || !optString(v.service_tier) || !usageOk(v.usage)) return false;
  const choices = v.choices;
  if (!Array.isArray(choices) || choices.length === 0) return false;
  for (const c of choices) {
    if (!isObj(c) || !optString(c.finish_reason)) return false;
    const m = c.message;
    if (!isObj(m) || !optString(m.content) || !optString(m.refusal)) return false;
    const t = m.tool_calls;
    if (!nullish(t) && !(Array.isArray(t) && t.length === 0)) return false;
  }
  return true;
}

/** A stream chunk (`chat.completion.chunk`) that the adapter's chunk schema accepts as is. */
export function chunkOk(v: unknown): v is z.infer<typeof chunkSchema> {
  if (!isObj(v) || !optString(v.service_tier) || !usageOk(v.usage)) return false;
  const choices = v.choices;
  if (!Array.isArray(choices)) return false;
  for (const c of choices) {
    if (!isObj(c) || !optString(c.finish_reason)) return false;
    const d = c.delta;
    if (nullish(d)) continue;
    if (!isObj(d) || !optString(d.content) || !optString(d.refusal)) return false;
    const t = d.tool_calls;
    if (nullish(t)) continue;
    if (!Array.isArray(t)) return false;
    for (const p of t) {
      if (!isObj(p) || !count(p.index) || !optString(p.id)) return false;
      const f = p.function;
      if (!nullish(f) && !(isObj(f) && optString(f.name) && optString(f.arguments))) return false;
    }
  }
  return true;
}
