import { z } from 'zod';

/**
 * The policy schema: the single source of truth for what a policy file may say.
 * Types are inferred from it (`Policy`, `PolicyInput`); the loader and `definePolicy` validate with it.
 * Prices are US dollars per 1M tokens in the file; the engine converts them to integer micro-dollars.
 */

const nonNegative = z.number().finite().nonnegative();
const positiveInt = z.number().int().positive();

export const TIERS = ['local-gpu', 'distilled', 'vendor'] as const;
/** A wait like `30m`, `24h` or `2d` (deferrable work's `within`): 1–6 digits and a unit. */
export const DEFER_WITHIN = /^([1-9]\d{0,5})([mhd])$/;
export const DEFER_WITHIN_MESSAGE = 'a duration like 30m, 24h or 2d';

export const TASKS = ['code', 'math', 'chat', 'summarization', 'extraction', 'retrieval-qa', 'other'] as const;
export const ENCODINGS = ['o200k_base', 'cl100k_base', 'estimate'] as const;

export const tierSchema = z.enum(TIERS);
export const taskSchema = z.enum(TASKS);

/** A price tier that applies to the whole request once its prompt exceeds `above` tokens (long-context pricing). */
export const priceTierSchema = z.strictObject({
  above: positiveInt,
  inputPerM: nonNegative,
  outputPerM: nonNegative,
  cachedInputPerM: nonNegative.optional(),
});

export const priceSchema = z.strictObject({
  inputPerM: nonNegative,
  outputPerM: nonNegative,
  cachedInputPerM: nonNegative.optional(),
  cacheWritePerM: nonNegative.optional(),
  /** Anthropic's 1-hour cache write rate (`cacheWritePerM` is the 5-minute one); default: cacheWritePerM. */
  cacheWrite1hPerM: nonNegative.optional(),
  tiers: z.array(priceTierSchema).optional(),
  /** Prices per service tier the vendor reports serving (`flex`, `priority`, `batch`…); unlisted tiers bill at the rates above. */
  serviceTiers: z.record(z.string(), z.strictObject({ inputPerM: nonNegative, outputPerM: nonNegative, cachedInputPerM: nonNegative.optional() })).optional(),
});

/** Self-hosted capacity: what a GPU-hour costs and how many tokens it serves. */
export const infraSchema = z.strictObject({
  gpuHourlyUsd: nonNegative,
  gpus: positiveInt.default(1),
  tokensPerSecond: z.number().finite().positive(),
});

/**
 * One point of a self-hosted model's throughput curve, measured on its serving engine: the replica's
 * aggregate prefill (prompt) and decode (output) tokens per second with `batch` requests in flight.
 */
export const throughputPointSchema = z.strictObject({
  batch: positiveInt,
  prefillTokensPerSecond: z.number().finite().positive(),
  decodeTokensPerSecond: z.number().finite().positive(),
});

/**
 * A self-hosted model's fleet (docs/capacity.md): replicas of `gpusPerReplica` GPUs at `gpuHourlyUsd`
 * each, a fixed count or an autoscaled range, and the measured throughput curve (interpolated between
 * points; batch sizes strictly increasing, aggregate throughput never falling as the batch grows).
 * Infra cost is the provisioned GPU-hours × price per window (`windowMinutes`), allocated to the
 * window's requests by GPU-seconds; idle capacity is spread over them or booked to an `idle` line.
 */
export const capacitySchema = z
  .strictObject({
    gpusPerReplica: positiveInt,
    gpuHourlyUsd: nonNegative,
    replicas: z.union([
      positiveInt,
      z
        .strictObject({
          min: positiveInt,
          max: positiveInt,
          /** Add a replica when this many requests wait in the queue. */
          scaleUpQueue: positiveInt.default(1),
          /** Remove a replica (down to `min`) after it has been idle this long. */
          scaleDownIdleMinutes: z.number().finite().positive().default(10),
        })
        .refine((r) => r.min <= r.max, { message: 'min must be ≤ max', path: ['max'] }),
    ]),
    throughput: z.array(throughputPointSchema).min(1),
    windowMinutes: z.number().finite().positive().default(60),
    idleCost: z.enum(['spread', 'separate']).default('separate'),
  })
  .superRefine((c, ctx) => {
    for (let i = 1; i < c.throughput.length; i++) {
      const a = c.throughput[i - 1]!;
      const b = c.throughput[i]!;
      if (b.batch <= a.batch) ctx.addIssue({ code: 'custom', path: ['throughput', i, 'batch'], message: `batch sizes must increase (${b.batch} after ${a.batch})` });
      for (const k of ['prefillTokensPerSecond', 'decodeTokensPerSecond'] as const) {
        if (b[k] < a[k]) ctx.addIssue({ code: 'custom', path: ['throughput', i, k], message: `throughput must not fall as the batch grows (${b[k]} at batch ${b.batch} < ${a[k]} at batch ${a.batch})` });
      }
    }
  });

/** Ops overhead on top of vendor + infra: a percent of that sum, and/or a fixed amount per 1M tokens. */
export const opsSchema = z.strictObject({
  percent: z.number().finite().min(0).max(1000).optional(),
  perMillionUsd: nonNegative.optional(),
});

/** What a model can do beyond plain chat; a request needing one is never routed to a model without it (engine/capabilities.ts). */
export const CAPABILITIES = ['tools', 'vision', 'jsonSchema', 'reasoning', 'embeddings'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export const modelSchema = z.strictObject({
  id: z.string().min(1).regex(/^[\w.:/@-]+$/, 'use letters, digits and . : / @ - _ only'),
  tier: tierSchema,
  /** `local-onnx`: an embeddings model run in process by the ONNX embedder (`onnx` below; docs/embeddings.md). */
  adapter: z.enum(['openai-compatible', 'anthropic', 'simulated', 'local-onnx']),
  endpoint: z.url().optional(),
  /** Name of the environment variable that holds the API key (the key itself never goes in a policy). */
  apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
  /** Model name sent upstream; defaults to `id`. */
  upstreamModel: z.string().min(1).optional(),
  /**
   * OpenAI-compatible adapter: the name of the output cap in the request body. `max_tokens` (default)
   * is what vLLM, TGI and Ollama read; OpenAI's reasoning models (o-series, GPT-5) accept only
   * `max_completion_tokens`.
   */
  maxTokensField: z.enum(['max_tokens', 'max_completion_tokens']).optional(),
  /** Price-catalog reference; defaults to `{ provider: inferred, model: upstreamModel ?? id }`. */
  catalog: z.strictObject({ provider: z.string().min(1), model: z.string().min(1) }).optional(),
  contextWindow: positiveInt,
  encoding: z.enum(ENCODINGS).default('o200k_base'),
  prices: priceSchema.optional(),
  infra: infraSchema.optional(),
  /** Self-hosted fleet and throughput curve (supersedes `infra`, which is a one-point curve). */
  capacity: capacitySchema.optional(),
  ops: opsSchema.optional(),
  /** Prior probability that this model's answer is good enough, used by the rules classifier. */
  quality: z.number().min(0).max(1).default(0.8),
  /** What the model can do (replaces the defaults of engine/capabilities.ts when given). */
  capabilities: z.array(z.enum(CAPABILITIES)).optional(),
  /** `embeddings`: the model serves embeddings only (engine/embed.ts); chat requests never go to it. */
  operation: z.enum(['chat', 'embeddings']).optional(),
  /**
   * Embeddings models: the vector sizes it can give (`dimensions` a request may ask for). A request asking
   * for another is never routed to it. Absent: any (the vendor decides). The bundled local model: [256].
   */
  embeddingDimensions: z.array(positiveInt.max(8192)).min(1).optional(),
  /**
   * `adapter: local-onnx` only: which ONNX embedder serves the model, loaded on its first request.
   * `modelDir` (a sentence-transformers-style export; relative to the working directory) defaults to
   * the bundled `tollgate-static-use-lite-256`; `executionProvider` `cpu` (default), `cuda` or `webgpu`,
   * with CPU instead when that one cannot run here unless `allowCpuFallback` is false.
   */
  onnx: z
    .strictObject({
      modelDir: z.string().min(1).optional(),
      executionProvider: z.enum(['cpu', 'cuda', 'webgpu']).default('cpu'),
      allowCpuFallback: z.boolean().default(true),
      batchSize: positiveInt.max(4096).optional(),
    })
    .optional(),
  /** Most choices (`n`) one call may ask for; default 128 for OpenAI-compatible, 1 otherwise. */
  maxN: positiveInt.max(128).optional(),
  /** Per-task quality overrides for the rules classifier. */
  taskQuality: z.partialRecord(taskSchema, z.number().min(0).max(1)).optional(),
  /** Simulated adapter only: mean latency and output-length behaviour. */
  simulate: z
    .strictObject({
      latencyMs: nonNegative.default(0),
      tokensPerSecond: z.number().positive().optional(),
      failureRate: z.number().min(0).max(1).default(0),
    })
    .optional(),
});

const range = z
  .strictObject({ min: nonNegative.optional(), max: nonNegative.optional() })
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, 'min must be ≤ max');

export const ruleSchema = z.strictObject({
  name: z.string().min(1),
  when: z
    .strictObject({
      tenants: z.array(z.string().min(1)).optional(),
      tags: z.array(z.string().min(1)).optional(),
      tasks: z.array(taskSchema).optional(),
      complexity: range.optional(),
      promptTokens: range.optional(),
      /** The request needs every one of these (tools: tools or tool calls in the history; vision: images…). */
      needs: z.array(z.enum(CAPABILITIES)).min(1).optional(),
      /** Messages in the conversation other than system/developer ones. */
      turns: range.optional(),
      /** Tokens of the tool results in the history (o200k_base). */
      toolResultTokens: range.optional(),
    })
    .default({}),
  /** Candidate model ids for this rule; all models when omitted. */
  models: z.array(z.string().min(1)).min(1).optional(),
  qualityFloor: z.number().min(0).max(1).optional(),
  maxCostUsd: nonNegative.optional(),
  /** `cheapest` (default): cheapest model meeting the floor. `quality`: best predicted quality within max cost. */
  prefer: z.enum(['cheapest', 'quality']).default('cheapest'),
  /**
   * `route` (the default): call the chosen model now. `defer`: matching work goes to the chosen model's
   * vendor batch API at its batch price (docs/capacity.md, "Deferrable work"); `defer` tunes it.
   */
  action: z.enum(['route', 'defer']).optional(),
  defer: z
    .strictObject({
      /** How long the work may wait (`30m`, `24h`, `2d`); default 24h. */
      within: z.string().regex(DEFER_WITHIN, DEFER_WITHIN_MESSAGE).optional(),
      /**
       * When neither the chosen model nor its fallbacks have a batch API: `refuse` (default; error
       * `batch_unsupported`) or `run` (call the model now, at its normal price).
       */
      onUnsupported: z.enum(['refuse', 'run']).optional(),
    })
    .optional(),
});

export const retrySchema = z.strictObject({
  maxAttempts: positiveInt.max(10).default(2),
  baseDelayMs: nonNegative.default(100),
  maxDelayMs: nonNegative.default(5_000),
  timeoutMs: positiveInt.default(30_000),
});

export const circuitBreakerSchema = z.strictObject({
  failureThreshold: positiveInt.default(5),
  cooldownMs: positiveInt.default(30_000),
});

export const budgetSchema = z.strictObject({
  window: z.enum(['day', 'month', 'rolling-hour', 'rolling-day']).default('month'),
  usd: nonNegative.optional(),
  tokens: z.number().int().nonnegative().optional(),
  /** Tag this budget is scoped to (per-tag budgets); tenant-wide when omitted. */
  tag: z.string().optional(),
});

export const rateLimitSchema = z.strictObject({
  requestsPerMinute: positiveInt.optional(),
  tokensPerMinute: positiveInt.optional(),
});

export const limitActionSchema = z.strictObject({
  /** Fraction of the budget consumed at which the action starts. */
  atFraction: z.number().min(0).max(1),
  action: z.enum(['warn', 'downgrade', 'throttle', 'refuse']),
  /** For `downgrade`: the tier to fall to. */
  toTier: tierSchema.optional(),
});

export const tenantSchema = z.strictObject({
  costCenter: z.string().optional(),
  budgets: z.array(budgetSchema).default([]),
  rateLimit: rateLimitSchema.optional(),
  actions: z.array(limitActionSchema).default([]),
});

export const policySchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  models: z.array(modelSchema).min(1),
  rules: z.array(ruleSchema).default([]),
  defaults: z
    .strictObject({
      qualityFloor: z.number().min(0).max(1).default(0),
      maxOutputTokens: positiveInt.default(1024),
      onContextOverflow: z.enum(['refuse', 'reroute']).default('reroute'),
      /**
       * Largest prompt accepted, in characters (UTF-16 code units) across all messages: a larger one is
       * refused with `prompt_too_large` before it is counted (bounds one request's tokenizer work). 2 Mi.
       */
      maxPromptChars: positiveInt.default(2 * 1024 * 1024),
    })
    .prefault({}),
  /** Ordered fallback chains: `{ "gpt-4o": ["claude-sonnet", "gpt-4o-mini"] }`. */
  fallbacks: z.record(z.string(), z.array(z.string().min(1))).default({}),
  retry: retrySchema.prefault({}),
  circuitBreaker: circuitBreakerSchema.prefault({}),
  ops: opsSchema.optional(),
  tenants: z.record(z.string(), tenantSchema).default({}),
  /** Per-model rate limits (requests/tokens per minute across all tenants). */
  modelLimits: z.record(z.string(), rateLimitSchema).default({}),
  /**
   * Runaway-client detection (engine/loop-detector.ts; off when absent): the same long prompt from one
   * tenant and end user more than `maxRepeats` times within `windowMs` gets `action`.
   */
  loopDetection: z
    .strictObject({
      /** Prompts shorter than this (characters) are never counted. */
      minPromptChars: positiveInt.default(1_000),
      /** `exact`: the whole prompt must repeat. `prefix`: its first `prefixChars` characters (catches loops that append). */
      match: z.enum(['exact', 'prefix']).default('exact'),
      prefixChars: positiveInt.default(2_000),
      windowMs: positiveInt.default(60_000),
      maxRepeats: positiveInt.default(5),
      action: z.enum(['warn', 'throttle', 'refuse']).default('warn'),
      /** `throttle`: how long each repeat past the limit waits before it goes on. */
      throttleMs: nonNegative.default(2_000),
    })
    .optional(),
  /**
   * What happens when a shared store (Redis budgets, rate limits) cannot answer: `fail-closed` (default)
   * refuses the request with a 503 `store_unavailable` and spends nothing; `fail-open` serves it without
   * the store, up to `failOpenSpendCapUsd` of spend per process, then closes. Either way the request is
   * logged with what was decided, and spend made while open is recorded in the store when it returns.
   */
  onStoreUnavailable: z.enum(['fail-closed', 'fail-open']).default('fail-closed'),
  /** fail-open only: most one process may spend while the store is unreachable (USD). Default 1. */
  failOpenSpendCapUsd: nonNegative.default(1),
  /**
   * What the decision log holds besides decision records. `prompts: true` (default false) appends each
   * answered request's prompt text, credentials redacted, as a `kind: "prompt"` line, so that `tollgate
   * train --from-log` can rebuild training rows (docs/learned-routing.md). Prompts are user data: leave
   * it off unless the log may hold them. The PostgreSQL decision log does not store these lines.
   */
  log: z.strictObject({ prompts: z.boolean().default(false) }).optional(),
  /** Optional learned classifier artefact, referenced by path. */
  classifier: z
    .strictObject({
      kind: z.enum(['rules', 'learned']).default('rules'),
      artifact: z.string().optional(),
      threshold: z.number().optional(),
      /**
       * Learned classifier only. `probability` (default): quality from predicted probabilities.
       * `traffic-rank`: quality = 1 − share of recent requests with a smaller predicted shortfall, so a
       * rule's qualityFloor f sends about a share f of traffic past the weak model whatever the mix.
       * `utility`: the rule picks the model maximising predicted success − λ·cost, the floor f standing
       * for λ = 1/f − 1 per unit of the request's dearest candidate cost (N models; docs/learned-routing.md).
       */
      scale: z.enum(['probability', 'traffic-rank', 'utility']).optional(),
      /** `traffic-rank` only: how many recent requests each request is ranked against (default 300). */
      rankWindow: z.number().int().min(1).optional(),
    })
    .optional(),
});

/** A validated policy with defaults applied. */
export type Policy = z.infer<typeof policySchema>;
/** What a policy author writes (defaults optional). */
export type PolicyInput = z.input<typeof policySchema>;
export type ModelSpec = Policy['models'][number];
export type RuleSpec = Policy['rules'][number];
export type Tier = z.infer<typeof tierSchema>;
export type Task = z.infer<typeof taskSchema>;
export type PriceSpec = z.infer<typeof priceSchema>;
export type CapacitySpec = z.infer<typeof capacitySchema>;
