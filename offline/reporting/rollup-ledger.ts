import { costPerMillion, type LedgerDimension, type LedgerRow } from '../../index.js';
import type { RollupRow } from './decision-queries.js';

type Totals = Omit<RollupRow, 'day' | 'tenant' | 'model' | 'rule' | 'tier'>;

const SUMMED = ['requests', 'ok', 'errors', 'refused', 'inputTokens', 'outputTokens', 'cachedTokens', 'vendorMicros', 'infraMicros', 'opsMicros', 'fullMicros', 'cacheHits', 'cacheSavedMicros', 'fallbacks', 'qualitySum', 'qualityCount'] as const;

export const emptyTotals = (): Totals => Object.fromEntries(SUMMED.map((k) => [k, 0])) as Totals;

export function addTotals(into: Totals, row: Totals): Totals {
  for (const k of SUMMED) into[k] += row[k];
  return into;
}

/** The ledger row (engine/ledger.ts `LedgerRow`, same derived figures) of summed rollup totals. */
export function ledgerRowOf(key: string, a: Totals): LedgerRow {
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
    tokensPerRequest: a.requests ? tokens / a.requests : 0,
    vendorMicros: a.vendorMicros,
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

const keyOf = (r: RollupRow, by: LedgerDimension): string => (by === 'total' ? 'total' : r[by]);

/** Sums rollup rows along a dimension into totals by key (insertion order). */
export function groupTotals(rows: readonly RollupRow[], key: (r: RollupRow) => string): Map<string, Totals> {
  const out = new Map<string, Totals>();
  for (const r of rows) {
    const k = key(r);
    const t = out.get(k);
    if (t) addTotals(t, r);
    else out.set(k, addTotals(emptyTotals(), r));
  }
  return out;
}

/** Ledger rows along a dimension, most expensive first (the order `CostLedger.rows` uses). */
export function ledgerRows(rows: readonly RollupRow[], by: LedgerDimension): LedgerRow[] {
  return [...groupTotals(rows, (r) => keyOf(r, by))]
    .map(([k, t]) => ledgerRowOf(k, t))
    .sort((x, y) => y.fullMicros - x.fullMicros || (x.key < y.key ? -1 : 1));
}

/** Top-driver order shared with the JSONL report: most expensive, then most requests, then tenant and model. */
export function driverOrder(a: { tenant: string; model: string; requests: number; fullMicros: number }, b: typeof a): number {
  return b.fullMicros - a.fullMicros || b.requests - a.requests || (a.tenant + '\u0000' + a.model < b.tenant + '\u0000' + b.model ? -1 : 1);
}
