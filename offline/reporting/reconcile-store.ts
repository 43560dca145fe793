import { reconcile, type ReconcileReport, type VendorUsageRow } from '../billing/index.js';
import type { ReconcileOptions } from '../billing/index.js';
import type { DecisionQueries } from './decision-queries.js';

/**
 * `tollgate reconcile --db`: our side summed in the store over the export's days (one GROUP BY), plus
 * only the records that may explain a difference (fallbacks, errors, estimated tokens, retries).
 * Log days outside the export's range are counted as not compared, as with a JSONL log.
 */
export async function reconcileDecisionStore(q: DecisionQueries, vendor: readonly VendorUsageRow[], options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const days = vendor.map((v) => v.day).sort();
  const range = days.length ? { from: days[0]!, to: days[days.length - 1]! } : { from: '9999-12-31', to: '0000-01-01' };
  // Every day's totals: reconcile() compares the export's days and counts the others as not compared.
  const [totals, explainers] = await Promise.all([q.vendorTotals({}), q.explainerRecords(range, options.maxExplainers ?? 20)]);
  return reconcile(explainers, vendor, { ...options, totals });
}
