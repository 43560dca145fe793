import { z } from 'zod';

const int = z.number().int().nonnegative();

export const candidateSchema = z.object({
  model: z.string(),
  tier: z.string(),
  predictedCostMicros: int,
  predictedQuality: z.number(),
  eligible: z.boolean(),
  /** Why a candidate was excluded (quality floor, max cost, context window, circuit open…). */
  reason: z.string().optional(),
});

/**
 * One line of the decision log: everything decided and spent for one request.
 * Costs are integer micro-dollars; `full = vendor + infra + ops`. Contains no secrets: no API keys,
 * no auth headers (and no prompt text unless the caller opts in via metadata, which it should not).
 */
export const decisionRecordSchema = z.object({
  v: z.literal(1),
  time: z.string(),
  requestId: z.string(),
  tenant: z.string(),
  tags: z.array(z.string()).default([]),
  policy: z.object({ name: z.string(), version: z.string() }),
  rule: z.string().optional(),
  classification: z
    .object({ task: z.string(), complexity: z.number(), predictedOutputTokens: int, source: z.string() })
    .optional(),
  candidates: z.array(candidateSchema).default([]),
  chosen: z.string().optional(),
  /** The model that finally answered (differs from `chosen` after a fallback). */
  model: z.string().optional(),
  tier: z.string().optional(),
  fallbacks: z.array(z.object({ model: z.string(), code: z.string() })).default([]),
  attempts: int.default(0),
  /**
   * Token counts and where they came from. `cached` (cache reads), `cacheWrite` (of which `cacheWrite1h` at
   * the 1-hour rate) are subsets of `input`; `reasoning` is a subset of `output` (billed as output).
   * `precountDelta`: the vendor's input count minus Tollgate's pre-count for the answering model's tokenizer
   * (`source: vendor` only; absent when they agree): negative when the vendor reported fewer input tokens than
   * were counted (the "under-reported tokens" signal, docs/observability.md), positive when more.
   */
  tokens: z.object({
    input: int, output: int, cached: int, source: z.enum(['vendor', 'tokenizer', 'estimate']),
    cacheWrite: int.optional(), cacheWrite1h: int.optional(), reasoning: int.optional(),
    precountDelta: z.number().int().optional(),
  }),
  predictedCostMicros: int.default(0),
  /** µ$; `parts` splits `vendor` as vendors bill it (fresh input, cache reads, cache writes, output) and sums to it. */
  cost: z.object({ vendor: int, infra: int, ops: int, full: int, parts: z.object({ input: int, cachedInput: int, cacheWrite: int, output: int }).optional() }),
  /** The service tier the vendor reports it served, when it reported one (priced by it: engine/cost.ts). */
  serviceTier: z.string().optional(),
  /**
   * Self-hosted model with a declared `capacity`: GPU-seconds the answer used at the curve's best
   * throughput; `cost.infra` is then provisional (the window's true-up is a ledger entry, docs/capacity.md).
   */
  gpuSeconds: z.number().nonnegative().optional(),
  cache: z.object({ hit: z.boolean(), match: z.enum(['exact', 'semantic']).optional(), savedMicros: int.default(0) }).optional(),
  quality: z.number().optional(),
  latencyMs: z.number().nonnegative(),
  outcome: z.enum(['ok', 'error', 'refused']),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Budget / rate-limit actions applied (warn, downgrade, throttle, refuse). */
  actions: z.array(z.string()).optional(),
  feedback: z.number().min(0).max(1).optional(),
  /** `embeddings` for an embeddings request (engine/embed.ts); absent for chat completions. */
  operation: z.enum(['chat', 'embeddings']).optional(),
});

export type DecisionRecord = z.infer<typeof decisionRecordSchema>;
export type CandidateRecord = z.infer<typeof candidateSchema>;
