import type { TraceMessage, TraceRequest, TraceTask } from './schema.js';
import { TRACE_TASKS } from './schema.js';
import { parseIsoTimestamp } from './timestamps.js';

/**
 * A fast path in front of {@link TraceRequestSchema} for the million-line traces the simulator
 * streams (zod costs ~6–20 µs a line; this costs well under 1 µs). It accepts only a strict
 * subset of what the schema accepts — the well-formed, canonical shape with no unknown keys and
 * no `labels` — and returns exactly what the schema would (tests check the two agree). For
 * anything else, every invalid line included, it returns `undefined` and the caller uses the
 * schema, which stays the single source of truth for what is valid and for error messages.
 */

const TASKS: ReadonlySet<string> = new Set(TRACE_TASKS);
const ROLES: ReadonlySet<string> = new Set(['system', 'user', 'assistant', 'tool']);
const KNOWN_KEYS: ReadonlySet<string> = new Set(['id', 'timestamp', 'tenant', 'messages', 'promptTokens', 'outputTokens', 'maxOutputTokens', 'tags', 'task']);

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function messagesOf(value: unknown): TraceMessage[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  for (const m of value as unknown[]) {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return undefined;
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== 'string' || !ROLES.has(role) || typeof content !== 'string' || Object.keys(m).length !== 2) return undefined;
  }
  return value as TraceMessage[];
}

function tagsOf(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  for (const t of value as unknown[]) if (typeof t !== 'string' || t.length === 0) return undefined;
  return value as string[];
}

/** The request `value` (a freshly JSON-parsed object) stands for, or `undefined` to defer to the schema. */
export function fastParseTraceRequest(value: Record<string, unknown>): Omit<TraceRequest, 'id'> & { id?: string } | undefined {
  for (const key in value) if (!KNOWN_KEYS.has(key)) return undefined;
  const { id, timestamp, tenant, messages, promptTokens, outputTokens, maxOutputTokens, tags, task } = value;
  const at = typeof timestamp === 'number' ? (isCount(timestamp) ? timestamp : undefined) : typeof timestamp === 'string' ? parseIsoTimestamp(timestamp) : undefined;
  if (at === undefined || typeof tenant !== 'string' || tenant.length === 0) return undefined;
  const out: Omit<TraceRequest, 'id'> & { id?: string } = { timestamp: at, tenant, tags: [] };
  if (id !== undefined) {
    if (typeof id !== 'string' || id.length === 0) return undefined;
    out.id = id;
  }
  if (messages !== undefined) {
    const ok = messagesOf(messages);
    if (!ok) return undefined;
    out.messages = ok;
  }
  if (promptTokens !== undefined) {
    if (!isCount(promptTokens)) return undefined;
    out.promptTokens = promptTokens;
  }
  if (out.messages === undefined && out.promptTokens === undefined) return undefined;
  if (outputTokens !== undefined) {
    if (!isCount(outputTokens)) return undefined;
    out.outputTokens = outputTokens;
  }
  if (maxOutputTokens !== undefined) {
    if (!isCount(maxOutputTokens) || maxOutputTokens < 1) return undefined;
    out.maxOutputTokens = maxOutputTokens;
  }
  if (tags !== undefined) {
    const ok = tagsOf(tags);
    if (!ok) return undefined;
    out.tags = ok;
  }
  if (task !== undefined) {
    if (typeof task !== 'string' || !TASKS.has(task)) return undefined;
    out.task = task as TraceTask;
  }
  return out;
}
