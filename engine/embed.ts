import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { gpuSecondsOf } from './capacity.js';
import { modelCapabilities } from './capabilities.js';
import { type CompiledModel, tierRank } from './compiled-policy.js';
import { fullCost, type CostBreakdown } from './cost.js';
import type { DecisionRecord } from './decision-record.js';
import { NoEligibleModelError, ProviderError, RateLimitedError, TollgateError, UnknownModelError, ValidationError, toFieldIssues } from './errors.js';
import { isoTime } from './iso-time.js';
import { redactSecrets } from './redact.js';
import type { EngineDeps } from './request-steps.js';
import type { ModelAdapter } from './seams/model-adapter.js';
import { countTokens } from './tokens.js';

/**
 * `tollgate.embed()` and `POST /v1/embeddings`: embeddings through the same engine as completions.
 *
 * - Models that serve embeddings declare `operation: embeddings` (or the `embeddings` capability); chat
 *   requests never go to them and embeddings never go to chat models. A pinned `model` must be one; else
 *   the cheapest embeddings model by predicted full cost is chosen (vendor input price, or infra for a
 *   self-hosted one), so a local model wins when it is cheaper. The bundled ONNX embedder serves as one
 *   (`adapter: local-onnx`, embeddings/local-embeddings-adapter.ts), priced by the model's infra/capacity.
 * - Inputs are counted with the model's tokenizer before the call; the rate limiter takes the tokens and
 *   the budget reserves their cost, as for completions; the vendor's usage wins after the call.
 * - Priced input-only: `inputTokens × input price` (+ infra and ops), `outputTokens` 0.
 * - Exact dedup per tenant: each input's content hash (model + text) is looked up in the engine's
 *   embedding cache first; only the misses are sent, and a request whose inputs were all seen costs 0.
 * - Logged like any request, with `operation: "embeddings"`; the ledger and observers see the record.
 */

export const embedRequestSchema = z.strictObject({
  id: z.string().min(1).max(200).optional(),
  tenant: z.string().min(1).max(200),
  input: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(2048)]),
  model: z.string().min(1).optional(),
  /** Output dimensions (OpenAI text-embedding-3 `dimensions`). */
  dimensions: z.number().int().positive().max(8192).optional(),
  tags: z.array(z.string().min(1)).max(32).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

export type EmbedRequest = z.input<typeof embedRequestSchema>;

export interface EmbedResult {
  id: string;
  model: string;
  embeddings: number[][];
  usage: { inputTokens: number };
  /** Inputs answered from the dedup cache (not sent, not charged). */
  cachedInputs: number;
  cost: CostBreakdown;
  record: DecisionRecord;
}

/** What an adapter is asked to embed, and what it answers. */
export interface EmbedCallInput {
  model: CompiledModel['spec'];
  input: readonly string[];
  dimensions?: number;
  requestId: string;
  signal: AbortSignal;
}
export interface EmbedResponse {
  embeddings: number[][];
  usage?: { inputTokens: number };
}

/** An adapter that also embeds (OpenAI-compatible `POST /embeddings`). */
export type EmbeddingAdapter = ModelAdapter & { embed(input: EmbedCallInput): Promise<EmbedResponse> };

const CACHE_LIMIT = 50_000;
const caches = new WeakMap<EngineDeps, Map<string, number[]>>();

export const isEmbeddingsModel = (m: CompiledModel): boolean => m.spec.operation === 'embeddings' || modelCapabilities(m.spec).has('embeddings');

function choose(deps: EngineDeps, r: z.infer<typeof embedRequestSchema>, tokens: number): { model: CompiledModel; candidates: DecisionRecord['candidates'] } {
  const models = deps.policy.models.filter(isEmbeddingsModel);
  if (r.model !== undefined) {
    const m = deps.policy.byId.get(r.model);
    if (!m) throw new UnknownModelError(r.model);
    if (!isEmbeddingsModel(m)) throw new ValidationError('embeddings request', [{ path: 'model', message: `${m.id} is not an embeddings model (declare operation: embeddings)` }]);
    const lacks = lacksDimensions(m, r.dimensions);
    if (lacks) throw new ValidationError('embeddings request', [{ path: 'dimensions', message: `${m.id} ${lacks}` }]);
    return { model: m, candidates: [{ model: m.id, tier: m.tier, predictedCostMicros: fullCost(m.basis, usageOf(tokens)).full, predictedQuality: m.spec.quality, eligible: true }] };
  }
  if (!models.length) throw new NoEligibleModelError('embeddings', Object.fromEntries(deps.policy.models.map((m) => [m.id, 'not an embeddings model'])));
  const candidates: DecisionRecord['candidates'] = models.map((m) => {
    const lacks = lacksDimensions(m, r.dimensions);
    return { model: m.id, tier: m.tier, predictedCostMicros: fullCost(m.basis, usageOf(tokens)).full, predictedQuality: m.spec.quality, eligible: !lacks, ...(lacks && { reason: lacks }) };
  });
  if (!candidates.some((c) => c.eligible)) throw new NoEligibleModelError('embeddings', Object.fromEntries(candidates.map((c) => [c.model, c.reason ?? ''])));
  // Cheapest; ties (small inputs round to the same µ$): higher quality, then the lower tier (self-hosted first), then policy order.
  const better = (i: number, j: number): boolean => {
    const a = candidates[i]!;
    const b = candidates[j]!;
    if (a.eligible !== b.eligible) return a.eligible;
    if (a.predictedCostMicros !== b.predictedCostMicros) return a.predictedCostMicros < b.predictedCostMicros;
    if (a.predictedQuality !== b.predictedQuality) return a.predictedQuality > b.predictedQuality;
    return tierRank(models[i]!.tier) < tierRank(models[j]!.tier);
  };
  let best = 0;
  for (let i = 1; i < models.length; i++) if (better(i, best)) best = i;
  return { model: models[best]!, candidates };
}

/** Why `m` cannot answer a request for `dimensions` (it declares `embeddingDimensions` without it), or undefined. */
function lacksDimensions(m: CompiledModel, dimensions: number | undefined): string | undefined {
  const dims = m.spec.embeddingDimensions;
  return dimensions !== undefined && dims && !dims.includes(dimensions) ? `gives ${dims.join(' or ')}-dimensional vectors, not ${dimensions}` : undefined;
}

const usageOf = (inputTokens: number) => ({ inputTokens, outputTokens: 0, cachedInputTokens: 0 });

/** Runs one embeddings request through the engine's stores, adapter, sink, ledger and observers. */
export async function runEmbed(deps: EngineDeps, input: EmbedRequest, signal?: AbortSignal): Promise<EmbedResult> {
  const parsed = embedRequestSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('embeddings request', toFieldIssues(parsed.error.issues));
  const r = parsed.data;
  const started = deps.now();
  const id = r.id ?? randomUUID();
  const texts = typeof r.input === 'string' ? [r.input] : r.input;
  const promptGuess = texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
  const { model, candidates } = choose(deps, r, promptGuess);
  const cache = caches.get(deps) ?? new Map<string, number[]>();
  caches.set(deps, cache);
  const keys = texts.map((t) => createHash('sha256').update(`${r.tenant}\u0000${model.id}\u0000${r.dimensions ?? ''}\u0000${t}`).digest('hex'));
  const out: (number[] | undefined)[] = keys.map((k) => cache.get(k));
  const missIdx = out.flatMap((v, i) => (v ? [] : [i]));
  const missTexts = missIdx.map((i) => texts[i]!);
  const counted = missTexts.reduce((n, t) => n + countTokens(t, model.encoding), 0);
  const tags = r.tags ?? [];
  const base = (): Omit<DecisionRecord, 'tokens' | 'cost' | 'latencyMs' | 'outcome'> => ({
    v: 1, time: isoTime(started), requestId: id, tenant: r.tenant, tags, policy: { name: deps.policy.name, version: deps.policy.version },
    rule: 'embeddings', candidates, chosen: model.id, model: model.id, tier: model.tier, fallbacks: [], attempts: missTexts.length ? 1 : 0,
    predictedCostMicros: fullCost(model.basis, usageOf(counted)).full, operation: 'embeddings',
    cache: { hit: missTexts.length === 0, match: missTexts.length === 0 ? 'exact' : undefined, savedMicros: 0 },
  });
  const fail = async (e: TollgateError): Promise<never> => {
    const record: DecisionRecord = { ...base(), tokens: { input: 0, output: 0, cached: 0, source: 'tokenizer' }, cost: { vendor: 0, infra: 0, ops: 0, full: 0 }, latencyMs: Math.max(0, deps.now() - started), outcome: e.code === 'rate_limited' || e.code === 'budget_exceeded' ? 'refused' : 'error', error: { code: e.code, message: redactSecrets(e.message) } };
    await deps.sink.append(record);
    throw e;
  };
  let inputTokens = 0;
  let source: DecisionRecord['tokens']['source'] = 'tokenizer';
  let cost: CostBreakdown = { vendor: 0, infra: 0, ops: 0, full: 0 } as CostBreakdown;
  if (missTexts.length) {
    const limit = await deps.rateLimiter.take({ tenant: r.tenant, model: model.id, tokens: counted });
    if (!limit.allowed) return fail(new RateLimitedError(r.tenant, limit.limit, limit.retryAfterMs));
    let reservation;
    try {
      reservation = await deps.budgets.reserve({ tenant: r.tenant, requestId: id, micros: fullCost(model.basis, usageOf(counted)).full, tokens: counted, tags });
    } catch (err) {
      return fail(err instanceof TollgateError ? err : new TollgateError('internal_error', String(err)));
    }
    const adapter = deps.adapters.get(model.spec.adapter) as Partial<EmbeddingAdapter> | undefined;
    let answer: EmbedResponse;
    try {
      if (!adapter?.embed) throw new ProviderError('client_error', model.id, `${model.id}: the ${model.spec.adapter} adapter does not serve embeddings`);
      const timeout = AbortSignal.timeout(deps.policy.policy.retry.timeoutMs);
      answer = await adapter.embed({ model: model.spec, input: missTexts, dimensions: r.dimensions, requestId: id, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      if (answer.embeddings.length !== missTexts.length) throw new ProviderError('bad_response', model.id, `${model.id}: ${answer.embeddings.length} embeddings for ${missTexts.length} inputs`);
    } catch (err) {
      await deps.budgets.refund(reservation);
      return fail(err instanceof TollgateError ? err : new ProviderError('network', model.id, `${model.id}: ${String(err)}`));
    }
    inputTokens = answer.usage?.inputTokens ?? counted;
    source = answer.usage ? 'vendor' : 'tokenizer';
    cost = fullCost(model.basis, usageOf(inputTokens));
    await deps.budgets.settle(reservation, { micros: cost.full, tokens: inputTokens });
    missIdx.forEach((i, j) => {
      const v = answer.embeddings[j]!;
      out[i] = v;
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
      cache.set(keys[i]!, v);
    });
  }
  const cap = model.basis.capacity;
  const record: DecisionRecord = { ...base(), tokens: { input: inputTokens, output: 0, cached: 0, source }, cost: { vendor: cost.vendor, infra: cost.infra, ops: cost.ops, full: cost.full }, ...(cap && inputTokens > 0 && { gpuSeconds: gpuSecondsOf(cap, inputTokens, 0) }), latencyMs: Math.max(0, deps.now() - started), outcome: 'ok' };
  await deps.sink.append(record);
  try {
    deps.ledger.record(record);
  } catch {
    // in-process bookkeeping; the logged record is the truth
  }
  for (const o of deps.observers) {
    try {
      o(record, { precountedInputTokens: counted });
    } catch {
      // observers must not throw
    }
  }
  return { id, model: model.id, embeddings: out as number[][], usage: { inputTokens }, cachedInputs: texts.length - missTexts.length, cost, record };
}
