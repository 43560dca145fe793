import type { DecisionRecord } from '../../index.js';
import { readDecisionLog } from './decision-log-reader.js';

/** What a decision log says about budget-store outages (docs/budgets.md, "When Redis is unreachable"). */
export interface StoreOutageSummary {
  /** Answered requests whose budget settle was queued because the store was unreachable. */
  settleQueued: { requests: number; fullMicros: number };
  /** Requests served under `onStoreUnavailable: fail-open` (their spend is recorded in the store later). */
  failOpen: { requests: number; fullMicros: number };
  /** Requests refused with `store_unavailable` (fail-closed, or fail-open past its cap). */
  refused: number;
}

/** Adds one record to a summary. Pure. */
export function addToOutageSummary(s: StoreOutageSummary, r: DecisionRecord): void {
  const actions = r.actions ?? [];
  if (actions.includes('budget:settle_queued')) {
    s.settleQueued.requests++;
    s.settleQueued.fullMicros += r.cost.full;
  }
  if (actions.includes('store_unavailable:fail-open')) {
    s.failOpen.requests++;
    s.failOpen.fullMicros += r.cost.full;
  }
  if (r.error?.code === 'store_unavailable') s.refused++;
}

export const emptyOutageSummary = (): StoreOutageSummary => ({ settleQueued: { requests: 0, fullMicros: 0 }, failOpen: { requests: 0, fullMicros: 0 }, refused: 0 });

/** Streams a decision log (invalid lines skipped) into a {@link StoreOutageSummary}. */
export async function summariseStoreOutages(path: string): Promise<StoreOutageSummary> {
  const s = emptyOutageSummary();
  for await (const r of readDecisionLog(path, { skipInvalid: true })) addToOutageSummary(s, r);
  return s;
}

/** True when the log shows any outage. */
export const hadOutage = (s: StoreOutageSummary): boolean => s.settleQueued.requests + s.failOpen.requests + s.refused > 0;
