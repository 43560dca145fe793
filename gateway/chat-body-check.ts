/**
 * An exact fast check in front of the Chat Completions body schema ({@link chatBodySchema}): for a body it
 * returns `true` only when zod would accept it, so the route can use the body as parsed JSON without
 * zod's copy (zod's output holds the same values under the same names; `stream_options` keys other than
 * `include_usage` are dropped by zod and read by no one). Anything it does not recognise — a field out of
 * range, an unknown or refused field, a type it does not check — returns `false` and goes to zod, which
 * decides and names every failing field in the 400. Zod on every body was a few percent of the gateway's
 * CPU (#17); the messages themselves are validated once, by the engine.
 */
import type { ChatBody } from './openai-shapes.js';
import { PASSTHROUGH_FIELDS } from './openai-shapes.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const nullish = (v: unknown): boolean => v === undefined || v === null;
const safeInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const optBool = (v: unknown): boolean => nullish(v) || typeof v === 'boolean';
const optPositiveInt = (v: unknown): boolean => nullish(v) || (safeInt(v) && v > 0);
const optRange = (v: unknown, max: number): boolean => nullish(v) || (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= max);
const nonEmptyString = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

/** Fields whose value zod takes as is (`z.unknown()`), or that are passed through unchanged. */
const ANY_VALUE = new Set<string>(['response_format', 'tools', 'tool_choice', 'reasoning_effort', 'service_tier', ...PASSTHROUGH_FIELDS]);

/** Each checked field's test, equal to (or stricter than) its zod schema. */
const CHECKS: Record<string, (v: unknown) => boolean> = {
  model: nonEmptyString,
  messages: (v) => Array.isArray(v) && v.length > 0,
  stream: optBool,
  stream_options: (v) => nullish(v) || (isObj(v) && (v.include_usage === undefined || typeof v.include_usage === 'boolean')),
  max_tokens: optPositiveInt,
  max_completion_tokens: optPositiveInt,
  temperature: (v) => optRange(v, 2),
  top_p: (v) => optRange(v, 1),
  stop: (v) => nullish(v) || nonEmptyString(v) || (Array.isArray(v) && v.length >= 1 && v.length <= 4 && v.every(nonEmptyString)),
  seed: (v) => nullish(v) || safeInt(v),
  n: (v) => nullish(v) || (safeInt(v) && v >= 1),
  user: (v) => nullish(v) || (typeof v === 'string' && v.length <= 200),
  metadata: (v) => nullish(v) || (isObj(v) && Object.getPrototypeOf(v) === Object.prototype && Object.values(v).every((x) => typeof x === 'string')),
  parallel_tool_calls: optBool,
};

/** Whether `body` surely passes {@link chatBodySchema} (then it may be used as the parsed body). */
export function chatBodyFastOk(body: unknown): body is ChatBody {
  if (!isObj(body)) return false;
  if (body.model === undefined || body.messages === undefined) return false;
  for (const k in body) {
    if (!Object.prototype.hasOwnProperty.call(body, k)) return false;
    const check = CHECKS[k];
    if (check !== undefined && Object.prototype.hasOwnProperty.call(CHECKS, k)) {
      if (!check(body[k])) return false;
    } else if (!ANY_VALUE.has(k)) return false; // unknown or refused: zod names it
  }
  if (!nullish(body.stream_options) && !body.stream) return false; // stream_options requires stream: true
  if (body.stream && typeof body.n === 'number' && body.n > 1) return false;
  return true;
}
