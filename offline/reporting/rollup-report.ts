import { type ChargebackOptions, type ChargebackReport, type ChargebackRow, UNASSIGNED, chargebackReport, chargebackRow } from '../billing/index.js';
import type { LedgerDimension } from '../../index.js';
import type { DecisionQueries, RollupRow } from './decision-queries.js';
import { driverOrder, ledgerRowOf, ledgerRows, groupTotals, emptyTotals } from './rollup-ledger.js';
import { type LogReport, trend } from './log-report.js';
import { TollgateError } from '../../index.js';

/** {@link LogReport} (what `tollgate report` shows) from rollup rows: the same figures the JSONL path computes record by record. */
export function reportFromRollups(label: string, rows: readonly RollupRow[], options: { by?: LedgerDimension; top?: number } = {}): LogReport {
  const by = options.by ?? 'tenant';
  const total = ledgerRowOf('total', [...groupTotals(rows, () => 'total').values()][0] ?? emptyTotals());
  const days = ledgerRows(rows, 'day')
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((d) => ({
      day: d.key,
      requests: d.requests,
      inputPerRequest: d.requests ? d.inputTokens / d.requests : 0,
      outputPerRequest: d.requests ? d.outputTokens / d.requests : 0,
      tokensPerRequest: d.tokensPerRequest,
    }));
  const topDrivers = [...groupTotals(rows, (r) => `${r.tenant}\u0000${r.model}`)]
    .map(([k, t]) => {
      const [tenant, model] = k.split('\u0000') as [string, string];
      return { tenant, model, requests: t.requests, fullMicros: t.fullMicros };
    })
    .sort(driverOrder)
    .slice(0, options.top ?? 10)
    .map((p) => ({ ...p, share: total.fullMicros ? p.fullMicros / total.fullMicros : 0 }));
  return {
    log: label,
    by,
    total,
    rows: by === 'total' ? [total] : ledgerRows(rows, by),
    inflation: { days, ...trend(days.map((d) => d.tokensPerRequest)) },
    topDrivers,
    skipped: { torn: 0, invalid: 0, issues: [] },
  };
}

/** `tollgate report --db`: one GROUP BY over the rollups. */
export async function reportDecisionStore(q: DecisionQueries, options: { by?: LedgerDimension; top?: number } = {}): Promise<LogReport> {
  return reportFromRollups(q.label, await q.rollups(), options);
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Month bounds as an inclusive day range. */
export function monthRange(month: string): { from: string; to: string } {
  if (!MONTH.test(month)) throw new TollgateError('invalid_request', `Month must be YYYY-MM, got "${month}"`, { month });
  const [y, m] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` };
}

/**
 * {@link ChargebackReport} from the month's rollups (same rows, order and allocation rule as
 * `ChargebackBuilder` over the records; GPU-hours are summed per model as there).
 */
export function chargebackFromRollups(rows: readonly RollupRow[], skipped: number, options: ChargebackOptions): ChargebackReport {
  const { from, to } = monthRange(options.month);
  const inMonth = rows.filter((r) => r.day >= from && r.day <= to);
  const byTenant = new Map<string, RollupRow[]>();
  for (const r of inMonth) (byTenant.get(r.tenant) ?? byTenant.set(r.tenant, []).get(r.tenant)!).push(r);
  const tenants: ChargebackRow[] = [...byTenant].map(([tenant, rs]) =>
    chargebackRow(tenant, options.costCenters?.[tenant] ?? UNASSIGNED, ledgerRowOf(tenant, [...groupTotals(rs, () => 'total').values()][0]!), ledgerRows(rs, 'model'), ledgerRows(rs, 'serviceTier'), options.gpuHoursPerM),
  );
  return chargebackReport(options.month, tenants, skipped);
}

/** `tollgate chargeback --db`: the month's rollups plus one count of the requests outside it. */
export async function chargebackDecisionStore(q: DecisionQueries, options: ChargebackOptions): Promise<ChargebackReport> {
  const range = monthRange(options.month);
  const [rows, skipped] = await Promise.all([q.rollups(range), q.requestsOutside(range)]);
  return chargebackFromRollups(rows, skipped, options);
}
