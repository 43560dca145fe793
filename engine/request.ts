import { z } from 'zod';
import { ValidationError, toFieldIssues } from './errors.js';

/** A chat message as Tollgate accepts it. */
export const messageSchema = z.strictObject({
  role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']),
  content: z.string(),
  name: z.string().min(1).optional(),
});

/**
 * A request to route. `messages` must be non-empty; `maxOutputTokens` caps the answer and sizes the
 * budget reservation. `model` pins a model (skips routing); `tags` feed rule conditions and budgets.
 */
export const requestSchema = z.strictObject({
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
  tags: z.array(z.string().min(1)).max(32).optional(),
  model: z.string().min(1).optional(),
  /** Optional task hint (e.g. from a trace); the classifier may use it. */
  task: z.enum(['code', 'math', 'chat', 'summarization', 'extraction', 'retrieval-qa', 'other']).optional(),
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
});

export type ChatMessage = z.infer<typeof messageSchema>;
export type TollgateRequest = z.input<typeof requestSchema>;
export type ValidRequest = z.infer<typeof requestSchema>;

/** Validates a request; throws {@link ValidationError} with every failing field path. */
export function validateRequest(input: unknown): ValidRequest {
  const parsed = requestSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('request', toFieldIssues(parsed.error.issues));
  return parsed.data;
}
