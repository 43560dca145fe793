import { ledgerRowOf as ledgerRowFromTotals, type LedgerDimension, type LedgerRow, type LedgerTotals } from '../../index.js';
import type { RollupRow } from './decision-queries.js';

type Totals = Omit<RollupRow, 'day' | 'tenant' | 'model' | 'rule' | 'tier' | 'serviceTier'>;

/** Every summed field of a rollup row: exactly the engine's `LedgerTotals` (typechecked both ways below). */
const SUMMED = [
  'requests', 'ok', 'errors', 'refused', 'inputTokens', 'outputTokens', 'cachedTokens', 'cacheWriteTokens', 'cacheWrite1hTokens', 'reasoningTokens',
  'vendorMicros', 'vendorInputMicros', 'vendorCachedInputMicros', 'vendorCacheWriteMicros', 'vendorOutputMicros', 'infraMicros', 'opsMicros', 'fullMicros',
  'cacheHits', 'cacheSavedMicros', 'fallbacks', 'qualitySum', 'qualityCount',
] as const satisfies readonly (keyof LedgerTotals)[];
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _sameTotals: Exact<Totals, LedgerTotals> & Exact<(typeof SUMMED)[number], keyof LedgerTotals> = true;
void _sameTotals;

export const emptyTotals = (): Totals => Object.fromEntries(SUMMED.map((k) => [k, 0])) as Totals;

export function addTotals(into: Totals, row: Totals): Totals {
  for (const k of SUMMED) into[k] += row[k];
  return into;
}

/** The ledger row of summed rollup totals: the engine's own derivation (`ledgerRowOf`), so both agree by construction. */
export const ledgerRowOf = (key: string, a: Totals): LedgerRow => ledgerRowFromTotals(key, a);

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
