import { costPerMillion } from './cost.js';
import type { DecisionRecord } from './decision-record.js';

/** Aggregated spend for one group (a tenant, a model, a rule, a day, or everything). */
export interface LedgerRow {
  key: string;
  requests: number;
  ok: number;
  errors: number;
  refused: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** Cache-write input tokens (a subset of `inputTokens`), of which `cacheWrite1hTokens` at the 1-hour rate. */
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  /** Reasoning tokens (a subset of `outputTokens`, billed as output). */
  reasoningTokens: number;
  tokensPerRequest: number;
  vendorMicros: number;
  /**
   * `vendorMicros` split as vendors bill it (the records' `cost.parts`): fresh input, cache reads, cache
   * writes (5-minute and 1-hour rates together), output (reasoning included), and `vendorUnsplitMicros` for
   * records logged without a split (older logs). The five always sum to `vendorMicros` exactly.
   */
  vendorInputMicros: number;
  vendorCachedInputMicros: number;
  vendorCacheWriteMicros: number;
  vendorOutputMicros: number;
  vendorUnsplitMicros: number;
  infraMicros: number;
  opsMicros: number;
  fullMicros: number;
  /** Full cost per 1M tokens (input + output), micro-dollars. */
  fullPerMillionMicros: number;
  vendorPerMillionMicros: number;
  cacheHits: number;
  cacheHitRatio: number;
  cacheSavedMicros: number;
  fallbacks: number;
  fallbackRate: number;
  qualitySum: number;
  qualityCount: number;
}

/** Group keys; `serviceTier` is the tier the vendor reported it served (`(none)` when it reported none). */
export type LedgerDimension = 'tenant' | 'model' | 'rule' | 'day' | 'tier' | 'serviceTier' | 'total';

/** The sums a ledger row is derived from (what `CostLedger` accumulates per key; what a SQL rollup stores). */
export interface LedgerTotals {
  requests: number; ok: number; errors: number; refused: number;
  inputTokens: number; outputTokens: number; cachedTokens: number;
  cacheWriteTokens: number; cacheWrite1hTokens: number; reasoningTokens: number;
  vendorMicros: number; infraMicros: number; opsMicros: number; fullMicros: number;
  /** The summed `cost.parts` (records without parts add 0 here and their whole vendor cost to the unsplit rest). */
  vendorInputMicros: number; vendorCachedInputMicros: number; vendorCacheWriteMicros: number; vendorOutputMicros: number;
  cacheHits: number; cacheSavedMicros: number; fallbacks: number; qualitySum: number; qualityCount: number;
}

const emptyAcc = (): LedgerTotals => ({
  requests: 0, ok: 0, errors: 0, refused: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0,
  cacheWriteTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0,
  vendorMicros: 0, infraMicros: 0, opsMicros: 0, fullMicros: 0,
  vendorInputMicros: 0, vendorCachedInputMicros: 0, vendorCacheWriteMicros: 0, vendorOutputMicros: 0, cacheHits: 0, cacheSavedMicros: 0, fallbacks: 0, qualitySum: 0, qualityCount: 0,
});

/** The group key of a record along a dimension. */
export function keyOf(r: DecisionRecord, by: LedgerDimension): string {
  switch (by) {
    case 'tenant': return r.tenant;
    case 'model': return r.model ?? r.chosen ?? '(none)';
    case 'rule': return r.rule ?? '(none)';
    case 'day': return r.time.slice(0, 10);
    case 'tier': return r.tier ?? '(none)';
    case 'serviceTier': return r.serviceTier ?? '(none)';
    case 'total': return 'total';
  }
}

/**
 * CostLedger — sums settled decision records by tenant, model, rule, tier and day, in integer micro-dollars.
 * Fed the same records the decision log gets, so the live ledger, `tollgate report` over the log and a
 * simulation can never disagree about money.
 */
export class CostLedger {
  private readonly groups = new Map<LedgerDimension, Map<string, LedgerTotals>>();

  constructor(private readonly dimensions: readonly LedgerDimension[] = ['total', 'tenant', 'model', 'rule', 'tier', 'serviceTier', 'day']) {
    for (const d of dimensions) this.groups.set(d, new Map());
  }

  record(r: DecisionRecord): void {
    for (const d of this.dimensions) {
      const g = this.groups.get(d)!;
      const k = keyOf(r, d);
      let a = g.get(k);
      if (!a) g.set(k, (a = emptyAcc()));
      add(a, r);
    }
  }

  /** Rows along a dimension, most expensive first. */
  rows(by: LedgerDimension): LedgerRow[] {
    const g = this.groups.get(by);
    if (!g) throw new RangeError(`ledger does not track "${by}"`);
    return [...g.entries()].map(([k, a]) => ledgerRowOf(k, a)).sort((x, y) => y.fullMicros - x.fullMicros || (x.key < y.key ? -1 : 1));
  }

  total(): LedgerRow {
    return this.rows('total')[0] ?? ledgerRowOf('total', emptyAcc());
  }
}

function add(a: LedgerTotals, r: DecisionRecord): void {
  a.requests++;
  if (r.outcome === 'ok') a.ok++;
  else if (r.outcome === 'refused') a.refused++;
  else a.errors++;
  a.inputTokens += r.tokens.input;
  a.outputTokens += r.tokens.output;
  a.cachedTokens += r.tokens.cached;
  a.cacheWriteTokens += r.tokens.cacheWrite ?? 0;
  a.cacheWrite1hTokens += r.tokens.cacheWrite1h ?? 0;
  a.reasoningTokens += r.tokens.reasoning ?? 0;
  a.vendorMicros += r.cost.vendor;
  const p = r.cost.parts;
  if (p) {
    a.vendorInputMicros += p.input;
    a.vendorCachedInputMicros += p.cachedInput;
    a.vendorCacheWriteMicros += p.cacheWrite;
    a.vendorOutputMicros += p.output;
  }
  a.infraMicros += r.cost.infra;
  a.opsMicros += r.cost.ops;
  a.fullMicros += r.cost.full;
  if (r.cache?.hit) {
    a.cacheHits++;
    a.cacheSavedMicros += r.cache.savedMicros;
  }
  if (r.fallbacks.length > 0) a.fallbacks++;
  if (r.quality !== undefined || r.feedback !== undefined) {
    a.qualitySum += r.feedback ?? r.quality!;
    a.qualityCount++;
  }
}

/** The ledger row of summed totals: the sums plus the figures derived from them (per request, per 1M tokens, ratios). */
export function ledgerRowOf(key: string, a: LedgerTotals): LedgerRow {
  const tokens = a.inputTokens + a.outputTokens;
  return {
    key,
    requests: a.requests,
    ok: a.ok,
    errors: a.errors,
    refused: a.refused,
    inputTokens: a.inputTokens,
    outputTokens: a.outputTokens,
    cachedTokens: a.cachedTokens,
    cacheWriteTokens: a.cacheWriteTokens,
    cacheWrite1hTokens: a.cacheWrite1hTokens,
    reasoningTokens: a.reasoningTokens,
    tokensPerRequest: a.requests ? tokens / a.requests : 0,
    vendorMicros: a.vendorMicros,
    vendorInputMicros: a.vendorInputMicros,
    vendorCachedInputMicros: a.vendorCachedInputMicros,
    vendorCacheWriteMicros: a.vendorCacheWriteMicros,
    vendorOutputMicros: a.vendorOutputMicros,
    vendorUnsplitMicros: a.vendorMicros - a.vendorInputMicros - a.vendorCachedInputMicros - a.vendorCacheWriteMicros - a.vendorOutputMicros,
    infraMicros: a.infraMicros,
    opsMicros: a.opsMicros,
    fullMicros: a.fullMicros,
    fullPerMillionMicros: costPerMillion(a.fullMicros, tokens),
    vendorPerMillionMicros: costPerMillion(a.vendorMicros, tokens),
    cacheHits: a.cacheHits,
    cacheHitRatio: a.requests ? a.cacheHits / a.requests : 0,
    cacheSavedMicros: a.cacheSavedMicros,
    fallbacks: a.fallbacks,
    fallbackRate: a.requests ? a.fallbacks / a.requests : 0,
    qualitySum: a.qualitySum,
    qualityCount: a.qualityCount,
  };
}
