import { z } from 'zod';
import { parseIsoTimestamp } from './timestamps.js';

/**
 * Task hints a trace may carry. They match the rules classifier's task types; the hint is
 * advisory (a simulation may use it or classify the messages itself).
 */
export const TRACE_TASKS = ['code', 'math', 'chat', 'summarization', 'extraction', 'retrieval-qa', 'other'] as const;
export type TraceTask = (typeof TRACE_TASKS)[number];

/** `timestamp`: an ISO 8601 string or integer epoch milliseconds; always normalised to epoch ms. */
export const TraceTimestampSchema = z
  .union([z.number(), z.string()], { error: 'timestamp must be an ISO 8601 string or epoch milliseconds' })
  .transform((value, ctx) => {
    if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= 0) return value;
      ctx.addIssue({ code: 'custom', message: `${value} is not epoch milliseconds (an integer ≥ 0)` });
      return z.NEVER;
    }
    const ms = parseIsoTimestamp(value);
    if (ms !== undefined) return ms;
    ctx.addIssue({ code: 'custom', message: `"${value}" is not an ISO 8601 date-time or epoch milliseconds` });
    return z.NEVER;
  });

/** One chat message of a traced request. */
export const TraceMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string(),
});

const tokenCount = (what: string) => z.number().int(`${what} must be an integer`).nonnegative(`${what} must be ≥ 0`);

/**
 * One request of a trace: one JSONL line. Either `messages` or `promptTokens` is required; when
 * both are present `promptTokens` is the authoritative prompt size (e.g. the text was trimmed to
 * keep the trace small) and `messages` is the content to classify. Unknown keys are ignored.
 */
export const TraceRequestSchema = z
  .object({
    /** Stable request id; readers fill `<source>:<line>` when absent. */
    id: z.string().min(1).optional(),
    timestamp: TraceTimestampSchema,
    tenant: z.string().min(1, 'tenant must not be empty'),
    messages: z.array(TraceMessageSchema).min(1, 'messages must not be empty').optional(),
    promptTokens: tokenCount('promptTokens').optional(),
    /** Output tokens the request actually produced, when known. */
    outputTokens: tokenCount('outputTokens').optional(),
    /** The caller's output cap (`max_tokens`). */
    maxOutputTokens: z.number().int().positive('maxOutputTokens must be ≥ 1').optional(),
    tags: z.array(z.string().min(1)).default([]),
    /** Advisory task hint, one of {@link TRACE_TASKS}. */
    task: z.enum(TRACE_TASKS).optional(),
    /** Observed quality per model id, each in [0, 1] (for evaluating a policy's choices). */
    labels: z.record(z.string().min(1), z.number().min(0, 'labels are in [0, 1]').max(1, 'labels are in [0, 1]')).optional(),
  })
  .refine((r) => r.messages !== undefined || r.promptTokens !== undefined, {
    message: 'a request needs messages or promptTokens',
    path: ['promptTokens'],
  });

/** What a trace line may contain (before normalisation). */
export type TraceRequestInput = z.input<typeof TraceRequestSchema>;
/** A parsed trace line: timestamp in epoch ms, tags defaulted, `id` possibly absent. */
export type ParsedTraceRequest = z.infer<typeof TraceRequestSchema>;
/** A request as every reader yields it: a parsed line whose `id` is always set. */
export type TraceRequest = ParsedTraceRequest & { id: string };
export type TraceMessage = z.infer<typeof TraceMessageSchema>;
