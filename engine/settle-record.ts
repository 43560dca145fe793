import { gpuSecondsOf } from './capacity.js';
import type { CompiledModel, CompiledPolicy } from './compiled-policy.js';
import { type CostBreakdown, fullCost, type TokenUsage, type VendorCostParts, vendorCostParts } from './cost.js';
import type { DecisionRecord } from './decision-record.js';
import { AllModelsFailedError, type TollgateError } from './errors.js';
import { isoTime } from './iso-time.js';
import { redactSecrets } from './redact.js';
import type { Decision } from './router.js';
import type { CacheHit } from './seams/cache.js';
import type { Classification } from './seams/classifier.js';
import type { ModelResponse } from './seams/model-adapter.js';
import type { Encoding } from './tokens.js';

/**
 * The pure half of settlement: what a request's answer cost, and the decision record that says so.
 * `settle()` (request-steps.ts) and the simulator's fast replay (offline/simulation/fast-replay.ts)
 * both build their records here, so the two can never disagree about a field.
 */

/** The answer as settlement reads it: which model answered, its response and how it got there. */
export interface SettledAnswer {
  model: CompiledModel;
  response: Pick<ModelResponse, 'usage' | 'usageSource' | 'quality' | 'serviceTier'>;
  attempts: number;
  fallbacks: { model: string; code: string }[];
}

/** Tokens and cost of one answer (zero for a request without one). */
export interface SettledUsage {
  usage: TokenUsage;
  cost: CostBreakdown;
  source: DecisionRecord['tokens']['source'];
  /** The vendor cost's parts (fresh input, cache reads, cache writes, output); they sum to `cost.vendor`. */
  parts?: VendorCostParts;
  /** Vendor-reported input tokens minus the pre-count for the answering model's encoding; absent when equal or not vendor-reported. */
  precountDelta?: number;
}

/**
 * Usage and full cost of an answer: the vendor's input count when it reports one (`source` is then the
 * response's), else the tokenizer's count for the answering model's encoding.
 */
export function settledUsage(answer: SettledAnswer | undefined, promptTokens: ReadonlyMap<Encoding, number>): SettledUsage {
  if (!answer) return { usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 }, cost: { vendor: 0, infra: 0, ops: 0, full: 0 } as CostBreakdown, source: 'tokenizer' };
  const u = answer.response.usage;
  const usage: TokenUsage = {
    inputTokens: u.inputTokens ?? promptTokens.get(answer.model.encoding) ?? 0,
    outputTokens: u.outputTokens,
    cachedInputTokens: u.cachedInputTokens ?? 0,
    cacheWriteTokens: u.cacheWriteTokens,
  };
  // assigned rather than spread (per request), in the same key order
  if (u.cacheWrite1hTokens) usage.cacheWrite1hTokens = u.cacheWrite1hTokens;
  if (u.reasoningTokens) usage.reasoningTokens = u.reasoningTokens;
  if (answer.response.serviceTier) usage.serviceTier = answer.response.serviceTier;
  const p = vendorCostParts(answer.model.basis.price, usage);
  const parts: VendorCostParts = { input: p.input, cachedInput: p.cachedInput, cacheWrite: p.cacheWrite, output: p.output };
  const source = u.inputTokens !== undefined ? answer.response.usageSource : 'tokenizer';
  const precounted = promptTokens.get(answer.model.encoding);
  const delta = source === 'vendor' && precounted !== undefined ? usage.inputTokens - precounted : 0;
  const settled: SettledUsage = { usage, cost: fullCost(answer.model.basis, usage, p.total), source, parts };
  if (delta !== 0) settled.precountDelta = delta;
  return settled;
}

/** Everything a decision record is built from. */
export interface RecordInput {
  policy: CompiledPolicy;
  facts: { id: string; tags: string[]; startedAt: number; request: { tenant: string } };
  classification?: Classification;
  decision?: Decision;
  answer?: SettledAnswer;
  cacheHit?: CacheHit;
  /** Whether the engine has a cache (the record then always carries a `cache` section). */
  cacheEnabled: boolean;
  settled: SettledUsage;
  /** Why the request failed or was refused: a TollgateError, or what the record reads of one (its code and message). */
  error?: Pick<TollgateError, 'code' | 'message'>;
  actions: string[];
  /** The engine clock when settling (latency is measured against `facts.startedAt`). */
  now: number;
}

/**
 * Builds the settled decision record (the decision-log line). Pure. Built from plain literals and
 * assignments rather than conditional spreads (this runs per request and is the fast replay's largest
 * allocation): the same keys in the same order, optional ones present only when set.
 */
export function buildDecisionRecord(x: RecordInput): DecisionRecord {
  const { facts: f, decision: d, classification: c, answer: a, error: e, cacheHit: hit } = x;
  const { usage, cost, source } = x.settled;
  const tokens: DecisionRecord['tokens'] = { input: usage.inputTokens, output: usage.outputTokens, cached: usage.cachedInputTokens, source };
  if (usage.cacheWriteTokens) tokens.cacheWrite = usage.cacheWriteTokens;
  if (usage.cacheWrite1hTokens) tokens.cacheWrite1h = usage.cacheWrite1hTokens;
  if (usage.reasoningTokens) tokens.reasoning = usage.reasoningTokens;
  if (x.settled.precountDelta) tokens.precountDelta = x.settled.precountDelta;
  const recordCost: DecisionRecord['cost'] = { vendor: cost.vendor, infra: cost.infra, ops: cost.ops, full: cost.full };
  if (x.settled.parts && cost.vendor > 0) recordCost.parts = x.settled.parts;
  const record: DecisionRecord = {
    v: 1,
    time: isoTime(f.startedAt),
    requestId: f.id,
    tenant: f.request.tenant,
    tags: f.tags,
    policy: { name: x.policy.name, version: x.policy.version },
    rule: d?.rule ?? (hit ? 'cache' : undefined),
    classification: c ? { task: c.task, complexity: c.complexity, predictedOutputTokens: c.predictedOutputTokens, source: c.source } : undefined,
    candidates: d?.candidates ?? [],
    chosen: d?.chosen.id,
    model: a?.model.id ?? hit?.model,
    tier: a?.model.tier ?? (hit ? x.policy.byId.get(hit.model)?.tier : undefined),
    fallbacks: a?.fallbacks ?? (e instanceof AllModelsFailedError ? e.attempts.map((f) => ({ model: f.model, code: f.code })) : []),
    attempts: a?.attempts ?? (e instanceof AllModelsFailedError ? e.tries : 0),
    tokens,
    predictedCostMicros: d?.predictedCostMicros ?? 0,
    cost: recordCost,
    gpuSeconds: a?.model.basis.capacity ? gpuSecondsOf(a.model.basis.capacity, usage.inputTokens, usage.outputTokens) : undefined,
    cache: x.cacheEnabled || hit ? { hit: !!hit, match: hit?.match, savedMicros: hit?.fullMicros ?? 0 } : undefined,
    quality: a?.response.quality,
    latencyMs: Math.max(0, x.now - f.startedAt),
    outcome: e ? (isRefusal(e) ? 'refused' : 'error') : 'ok',
    error: e ? { code: e.code, message: redactSecrets(e.message) } : undefined,
    actions: x.actions.length ? x.actions : undefined,
  };
  return usage.serviceTier ? withServiceTier(record, usage.serviceTier) : record;
}

/** The record with `serviceTier` in its place, between `cost` and `gpuSeconds` (rare: only answers on a named service tier). */
function withServiceTier(record: DecisionRecord, serviceTier: string): DecisionRecord {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (k === 'gpuSeconds') out.serviceTier = serviceTier;
    out[k] = v;
  }
  return out as unknown as DecisionRecord;
}

const REFUSALS = new Set(['budget_exceeded', 'budget_action_refused', 'rate_limited', 'context_window_exceeded', 'no_eligible_model', 'loop_detected']);
/** Whether an error is a refusal (budget, rate limit, context window, no eligible model) rather than a failure. */
export const isRefusal = (e: Pick<TollgateError, 'code'>): boolean => REFUSALS.has(e.code);
