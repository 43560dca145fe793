import { TASKS } from '../policies/schema.js';
import type { ValidRequest } from './request.js';
import { deepFreeze } from './deep-freeze.js';
import { TextKeyedCache } from './text-keyed-cache.js';
import { carryJsonText, jsonTextOf } from './tools-json.js';

/**
 * An exact fast check of a request's fields: returns what the request schema's object parse would return —
 * fresh objects, the schema's key order — or `undefined`, and then zod decides. It covers the whole model
 * agents and plain chat send (string or text/image parts, tool calls and tool results, tools, tool choice,
 * response formats, sampling options, passthrough, trace replays' `simulation` hints), not `undefined`-valued
 * keys. It accepts only a subset of what the schema accepts (any doubt → `undefined`), so it can never let
 * through what zod refuses; the conversation rules (tool-call ids, JSON schemas, images: `conversationIssues`)
 * are run on its output by `validateRequest` (engine/request.ts). test/engine/request-fast-check.test.ts
 * compares both with zod on mutations. Zod costs ~20-40 µs on a plain chat request and about a
 * millisecond on a 30-turn agent request with 20 tools (#15, #17); this costs a few percent of that.
 */
export function fastValidRequest(input: unknown): ValidRequest | undefined {
  if (!isPlain(input)) return undefined;
  const r = input as Record<string, unknown>;
  for (const k in r) if (!Object.hasOwn(r, k) || !TOP.has(k) || r[k] === undefined) return undefined;
  if (!str(r.tenant, 1, 200)) return undefined;
  if ('id' in r && !str(r.id, 1, 200)) return undefined;
  if ('idempotencyKey' in r && r.idempotencyKey !== false && !str(r.idempotencyKey, 1, 200)) return undefined;
  if ('maxOutputTokens' in r && !(Number.isSafeInteger(r.maxOutputTokens) && (r.maxOutputTokens as number) > 0)) return undefined;
  if ('temperature' in r && !num(r.temperature, 0, 2)) return undefined;
  if ('topP' in r && !num(r.topP, 0, 1)) return undefined;
  if ('seed' in r && !Number.isSafeInteger(r.seed)) return undefined;
  if ('model' in r && !str(r.model, 1, Infinity)) return undefined;
  if ('parallelToolCalls' in r && typeof r.parallelToolCalls !== 'boolean') return undefined;
  if ('reasoningEffort' in r && !EFFORTS.has(r.reasoningEffort as string)) return undefined;
  if ('serviceTier' in r && !TIERS.has(r.serviceTier as string)) return undefined;
  if ('task' in r && !TASK_SET.has(r.task as string)) return undefined;
  if ('n' in r && !(Number.isInteger(r.n) && (r.n as number) >= 1 && (r.n as number) <= MAX_N)) return undefined;
  const stop = 'stop' in r ? (typeof r.stop === 'string' ? (r.stop ? r.stop : undefined) : strings(r.stop, 1, 4)) : null;
  if (stop === undefined) return undefined;
  const tags = 'tags' in r ? strings(r.tags, 0, 32) : null;
  if (tags === undefined) return undefined;
  const metadata = 'metadata' in r ? record(r.metadata, true) : null;
  if (metadata === undefined) return undefined;
  const passthrough = 'passthrough' in r ? record(r.passthrough, false) : null;
  if (passthrough === undefined) return undefined;
  const tools = 'tools' in r ? checkedTools(r.tools) : null;
  if (tools === undefined) return undefined;
  const toolChoice = 'toolChoice' in r ? choice(r.toolChoice) : null;
  if (toolChoice === undefined) return undefined;
  const responseFormat = 'responseFormat' in r ? format(r.responseFormat) : null;
  if (responseFormat === undefined) return undefined;
  const simulation = 'simulation' in r ? hints(r.simulation) : null;
  if (simulation === undefined) return undefined;
  const ms = r.messages;
  if (!Array.isArray(ms) || ms.length === 0) return undefined;
  const messages: unknown[] = [];
  for (let i = 0; i < ms.length; i++) {
    if (!Object.hasOwn(ms, i)) return undefined;
    const m = message(ms[i]);
    if (!m) return undefined;
    messages.push(m);
  }
  // The schema's key order (zod builds its output in shape order).
  const out: Record<string, unknown> = {};
  if ('id' in r) out.id = r.id;
  if ('idempotencyKey' in r) out.idempotencyKey = r.idempotencyKey;
  out.tenant = r.tenant;
  out.messages = carryJsonText(ms, messages); // value for value the same array: its JSON text too (engine/tools-json.ts)
  if ('maxOutputTokens' in r) out.maxOutputTokens = r.maxOutputTokens;
  if ('temperature' in r) out.temperature = r.temperature;
  if ('topP' in r) out.topP = r.topP;
  if (stop !== null) out.stop = stop;
  if ('seed' in r) out.seed = r.seed;
  if (tools !== null) out.tools = carryJsonText(r.tools as unknown[], tools);
  if (toolChoice !== null) out.toolChoice = toolChoice;
  if ('parallelToolCalls' in r) out.parallelToolCalls = r.parallelToolCalls;
  if (responseFormat !== null) out.responseFormat = responseFormat;
  if ('reasoningEffort' in r) out.reasoningEffort = r.reasoningEffort;
  if ('serviceTier' in r) out.serviceTier = r.serviceTier;
  if ('n' in r) out.n = r.n;
  if (passthrough !== null) out.passthrough = passthrough;
  if (tags !== null) out.tags = tags;
  if ('model' in r) out.model = r.model;
  if ('task' in r) out.task = r.task;
  if (metadata !== null) out.metadata = metadata;
  if (simulation !== null) out.simulation = simulation;
  return out as ValidRequest;
}

/** Tool and response-format names (OpenAI's rule): 1-64 characters of a-z, A-Z, 0-9, _ and -. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
/** The most choices any model may be asked for (OpenAI's limit); a model's own `maxN` may be lower. */
export const MAX_N = 128;

const TOP = new Set([
  'id', 'idempotencyKey', 'tenant', 'messages', 'maxOutputTokens', 'temperature', 'topP', 'stop', 'seed', 'tools', 'toolChoice', 'parallelToolCalls',
  'responseFormat', 'reasoningEffort', 'serviceTier', 'n', 'passthrough', 'tags', 'model', 'task', 'metadata', 'simulation',
]);
const MESSAGE = new Set(['role', 'content', 'name', 'tool_calls', 'tool_call_id', 'refusal']);
/** The request schema's enums (engine/request.ts builds its zod enums from these, so the two cannot drift). */
export const MESSAGE_ROLES = ['system', 'user', 'assistant', 'tool', 'developer'] as const;
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
export const SERVICE_TIERS = ['auto', 'default', 'flex', 'priority', 'scale'] as const;
export const IMAGE_DETAILS = ['auto', 'low', 'high'] as const;
const ROLES = new Set<string>(MESSAGE_ROLES);
const EFFORTS = new Set<string>(REASONING_EFFORTS);
const TIERS = new Set<string>(SERVICE_TIERS);
const TASK_SET = new Set<string>(TASKS);
const DETAILS = new Set<string>(IMAGE_DETAILS);

/** A message in the schema's key order, or undefined. */
function message(v: unknown): Record<string, unknown> | undefined {
  if (!isPlain(v)) return undefined;
  const m = v as Record<string, unknown>;
  for (const k in m) if (!Object.hasOwn(m, k) || !MESSAGE.has(k) || m[k] === undefined) return undefined;
  if (typeof m.role !== 'string' || !ROLES.has(m.role)) return undefined;
  const out: Record<string, unknown> = { role: m.role };
  if ('content' in m) {
    const c = m.content;
    if (typeof c === 'string' || c === null) out.content = c;
    else {
      const parts = contentParts(c);
      if (!parts) return undefined;
      out.content = parts;
    }
  }
  if ('name' in m) {
    if (!str(m.name, 1, Infinity)) return undefined;
    out.name = m.name;
  }
  if ('tool_calls' in m) {
    const calls = toolCalls(m.tool_calls);
    if (!calls) return undefined;
    out.tool_calls = calls;
  }
  if ('tool_call_id' in m) {
    if (!str(m.tool_call_id, 1, Infinity)) return undefined;
    out.tool_call_id = m.tool_call_id;
  }
  if ('refusal' in m) {
    if (typeof m.refusal !== 'string' && m.refusal !== null) return undefined;
    out.refusal = m.refusal;
  }
  // The message schema's refinement: no content needs an assistant that calls tools or refuses.
  if (out.content == null && !(m.role === 'assistant' && (out.tool_calls || out.refusal != null))) return undefined;
  return out;
}

function contentParts(v: unknown): unknown[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: unknown[] = [];
  for (let i = 0; i < v.length; i++) {
    const p = v[i] as Record<string, unknown>;
    if (!Object.hasOwn(v, i) || !isPlain(p) || !onlyKeys(p, p.type === 'text' ? TEXT_PART : IMAGE_PART)) return undefined;
    if (p.type === 'text') {
      if (typeof p.text !== 'string') return undefined;
      out.push({ type: 'text', text: p.text });
    } else if (p.type === 'image_url') {
      const u = p.image_url as Record<string, unknown>;
      if (!isPlain(u) || !onlyKeys(u, IMAGE_URL) || !str(u.url, 1, Infinity)) return undefined;
      if ('detail' in u && !DETAILS.has(u.detail as string)) return undefined;
      out.push({ type: 'image_url', image_url: 'detail' in u ? { url: u.url, detail: u.detail } : { url: u.url } });
    } else return undefined;
  }
  return out;
}
const TEXT_PART = new Set(['type', 'text']);
const IMAGE_PART = new Set(['type', 'image_url']);
const IMAGE_URL = new Set(['url', 'detail']);

function toolCalls(v: unknown): unknown[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const out: unknown[] = [];
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as Record<string, unknown>;
    if (!Object.hasOwn(v, i) || !isPlain(c) || !onlyKeys(c, CALL) || !str(c.id, 1, Infinity) || c.type !== 'function') return undefined;
    const f = c.function as Record<string, unknown>;
    if (!isPlain(f) || !onlyKeys(f, CALL_FUNCTION) || !str(f.name, 1, Infinity) || typeof f.arguments !== 'string') return undefined;
    out.push({ id: c.id, type: 'function', function: { name: f.name, arguments: f.arguments } });
  }
  return out;
}
const CALL = new Set(['id', 'type', 'function']);
const CALL_FUNCTION = new Set(['name', 'arguments']);

/**
 * Tools arrays already checked, by the JSON text they were parsed from (engine/tools-json.ts): an agent sends
 * the same definitions with every turn, and the gateway's parsed body remembers their text. A hit is the
 * earlier checked copy itself, frozen (it is shared by every request that sent that text; nothing in the
 * engine changes a request's tools), so its count, its schema check and its JSON are found by that text too.
 */
const checked = new TextKeyedCache<unknown[]>(1_000, 4 * 1024 * 1024);
/** The checked copies {@link checked} holds (deeply frozen): what {@link isSharedToolsCopy} answers. */
const sharedCopies = new WeakSet<object>();

/** Whether `tools` is a checked copy the fast check shares between requests: deeply frozen, so it never changes. */
export function isSharedToolsCopy(tools: readonly unknown[]): boolean {
  return sharedCopies.has(tools);
}

function checkedTools(v: unknown): unknown[] | undefined {
  const text = Array.isArray(v) ? jsonTextOf(v) : undefined;
  if (text === undefined) return toolList(v);
  const hit = checked.get(text);
  if (hit) return hit;
  const out = toolList(v);
  if (out) {
    checked.set(text, deepFreeze(carryJsonText(v as unknown[], out)));
    sharedCopies.add(out);
  }
  return out;
}


function toolList(v: unknown): unknown[] | undefined {
  if (!Array.isArray(v) || v.length > 128) return undefined;
  const out: unknown[] = [];
  for (let i = 0; i < v.length; i++) {
    const t = v[i] as Record<string, unknown>;
    if (!Object.hasOwn(v, i) || !isPlain(t) || !onlyKeys(t, TOOL) || t.type !== 'function') return undefined;
    const f = t.function as Record<string, unknown>;
    if (!isPlain(f) || !onlyKeys(f, TOOL_FUNCTION) || typeof f.name !== 'string' || !TOOL_NAME.test(f.name)) return undefined;
    const fn: Record<string, unknown> = { name: f.name };
    if ('description' in f) {
      if (typeof f.description !== 'string') return undefined;
      fn.description = f.description;
    }
    if ('parameters' in f) {
      const p = record(f.parameters, false);
      if (!p) return undefined;
      fn.parameters = p;
    }
    if ('strict' in f) {
      if (typeof f.strict !== 'boolean' && f.strict !== null) return undefined;
      fn.strict = f.strict;
    }
    out.push({ type: 'function', function: fn });
  }
  return out;
}
const TOOL = new Set(['type', 'function']);
const TOOL_FUNCTION = new Set(['name', 'description', 'parameters', 'strict']);

function choice(v: unknown): unknown {
  if (v === 'none' || v === 'auto' || v === 'required') return v;
  const c = v as Record<string, unknown>;
  if (!isPlain(c) || !onlyKeys(c, TOOL) || c.type !== 'function') return undefined;
  const f = c.function as Record<string, unknown>;
  if (!isPlain(f) || !onlyKeys(f, NAME) || !str(f.name, 1, Infinity)) return undefined;
  return { type: 'function', function: { name: f.name } };
}
const NAME = new Set(['name']);

function format(v: unknown): unknown {
  const f = v as Record<string, unknown>;
  if (!isPlain(f)) return undefined;
  if (f.type === 'text' || f.type === 'json_object') return onlyKeys(f, TYPE) ? { type: f.type } : undefined;
  if (f.type !== 'json_schema' || !onlyKeys(f, JSON_SCHEMA_FORMAT)) return undefined;
  const s = f.json_schema as Record<string, unknown>;
  if (!isPlain(s) || !onlyKeys(s, JSON_SCHEMA) || typeof s.name !== 'string' || !TOOL_NAME.test(s.name)) return undefined;
  const out: Record<string, unknown> = { name: s.name };
  if ('description' in s) {
    if (typeof s.description !== 'string') return undefined;
    out.description = s.description;
  }
  if ('schema' in s) {
    const schema = record(s.schema, false);
    if (!schema) return undefined;
    out.schema = schema;
  }
  if ('strict' in s) {
    if (typeof s.strict !== 'boolean' && s.strict !== null) return undefined;
    out.strict = s.strict;
  }
  return { type: 'json_schema', json_schema: out };
}
const TYPE = new Set(['type']);
const JSON_SCHEMA_FORMAT = new Set(['type', 'json_schema']);
const JSON_SCHEMA = new Set(['name', 'description', 'schema', 'strict']);

/** A trace's simulation hints (known prompt tokens, output tokens, per-model quality labels). */
function hints(v: unknown): unknown {
  const h = v as Record<string, unknown>;
  if (!isPlain(h) || !onlyKeys(h, HINTS)) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of ['promptTokens', 'outputTokens'] as const) {
    if (!(k in h)) continue;
    if (!Number.isSafeInteger(h[k]) || (h[k] as number) < 0) return undefined;
    out[k] = h[k];
  }
  if ('labels' in h) {
    const labels = record(h.labels, false);
    if (!labels) return undefined;
    for (const k in labels) if (!num(labels[k], 0, 1)) return undefined;
    out.labels = labels;
  }
  return out;
}
const HINTS = new Set(['promptTokens', 'outputTokens', 'labels']);

/** Own keys all in `allowed`, none undefined-valued (zod's strict objects; an `undefined` value is left to zod). */
function onlyKeys(o: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const k in o) if (!Object.hasOwn(o, k) || !allowed.has(k) || o[k] === undefined) return false;
  return true;
}

/** A shallow copy of a string-keyed record (`z.record(z.string(), …)`); `strings`: every value a string. */
function record(v: unknown, stringValues: boolean): Record<string, unknown> | undefined {
  if (!isPlain(v)) return undefined;
  const m = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in m) {
    if (!Object.hasOwn(m, k) || k === '__proto__' || (stringValues && typeof m[k] !== 'string')) return undefined;
    out[k] = m[k];
  }
  return out;
}

/** A fresh copy of an array of `min`..`max` strings of at least one character, or undefined. */
function strings(v: unknown, min: number, max: number): string[] | undefined {
  if (!Array.isArray(v) || v.length < min || v.length > max) return undefined;
  const out: string[] = [];
  for (let i = 0; i < v.length; i++) {
    if (!Object.hasOwn(v, i) || !str(v[i], 1, Infinity)) return undefined;
    out.push(v[i] as string);
  }
  return out;
}

/**
 * A plain object (`{}` or `Object.create(null)`). Symbol keys are not looked for: zod's object parse ignores
 * them too and leaves them out of its output, as the copies made here do (the test checks it); looking cost
 * an array per object, ~100 objects in an agent request.
 */
function isPlain(v: unknown): v is object {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

const str = (v: unknown, min: number, max: number): boolean => typeof v === 'string' && v.length >= min && v.length <= max;
const num = (v: unknown, min: number, max: number): boolean => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
