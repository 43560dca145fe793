import type { Policy } from '../../../policies/schema.js';
import { usdToMicros } from '../../../engine/money.js';
import { windowDurationMs, type BudgetWindow } from '../../../engine/budget-windows.js';
import type { Alert } from './alert-sink.js';

/**
 * Multi-window burn-rate alerting on money budgets (Google SRE workbook, "Alerting on SLOs"): the
 * burn rate over a window W is `spend(W) / (idealRate × W)`, where the ideal rate spends the budget
 * evenly over its window (`limit / window length`). A pair alerts when BOTH its long and its short
 * window burn faster than the threshold: the long window proves it is significant, the short one that
 * it is still happening (so the alert stops soon after the burn does).
 */
export interface BurnRatePair {
  name: string;
  severity: 'page' | 'ticket';
  longMs: number;
  shortMs: number;
  /** Burn-rate multiple of the ideal rate. */
  threshold: number;
}

/** Workbook defaults: 2% of a 30-day budget in 1 h (14.4×, page); 5% in 6 h (6×, ticket). */
export const DEFAULT_BURN_RATE_PAIRS: readonly BurnRatePair[] = [
  { name: 'fast', severity: 'page', longMs: 3_600_000, shortMs: 300_000, threshold: 14.4 },
  { name: 'slow', severity: 'ticket', longMs: 6 * 3_600_000, shortMs: 1_800_000, threshold: 6 },
];

export interface BurnRateOptions {
  pairs?: readonly BurnRatePair[];
  /** Resolution of the spend history. Default 1 minute. */
  bucketMs?: number;
}

interface TenantSpend {
  /** [bucket index, µ$] in ascending bucket order. */
  buckets: [number, number][];
}

/** Watches each tenant's tenant-wide money budgets (tagged budgets are not burn-rated). */
export class BurnRateDetector {
  private readonly pairs: readonly BurnRatePair[];
  private readonly bucketMs: number;
  private readonly horizonMs: number;
  private readonly spend = new Map<string, TenantSpend>();

  constructor(
    private readonly tenants: Policy['tenants'],
    options: BurnRateOptions = {},
  ) {
    this.pairs = options.pairs ?? DEFAULT_BURN_RATE_PAIRS;
    this.bucketMs = options.bucketMs ?? 60_000;
    this.horizonMs = Math.max(...this.pairs.map((p) => p.longMs));
  }

  /** Adds one request's full cost at `tMs` and returns the alerts whose both windows burn too fast. */
  observe(tenant: string, tMs: number, fullMicros: number, at: string): Alert[] {
    const budgets = (this.tenants[tenant]?.budgets ?? []).filter((b) => b.usd !== undefined && b.usd > 0 && b.tag === undefined);
    if (budgets.length === 0) return [];
    const s = this.record(tenant, tMs, fullMicros);
    const alerts: Alert[] = [];
    for (const b of budgets) {
      const limit = usdToMicros(b.usd!);
      const window = b.window as BudgetWindow;
      const idealPerMs = limit / windowDurationMs(window, tMs);
      for (const p of this.pairs) {
        const long = this.sum(s, tMs, p.longMs) / (idealPerMs * p.longMs);
        if (long < p.threshold) continue;
        const short = this.sum(s, tMs, p.shortMs) / (idealPerMs * p.shortMs);
        if (short < p.threshold) continue;
        alerts.push({
          key: `burn-rate:${tenant}:${window}:${p.name}`,
          kind: 'burn-rate',
          severity: p.severity,
          tenant,
          at,
          message: `Tenant "${tenant}" is burning its ${window} budget at ${long.toFixed(1)}× over ${fmt(p.longMs)} and ${short.toFixed(1)}× over ${fmt(p.shortMs)} (threshold ${p.threshold}×)`,
          data: { window, pair: p.name, longBurn: round(long), shortBurn: round(short), threshold: p.threshold, budgetMicros: limit },
        });
      }
    }
    return alerts;
  }

  private record(tenant: string, tMs: number, micros: number): TenantSpend {
    let s = this.spend.get(tenant);
    if (!s) this.spend.set(tenant, (s = { buckets: [] }));
    const idx = Math.floor(tMs / this.bucketMs);
    const last = s.buckets[s.buckets.length - 1];
    if (last && last[0] >= idx) last[1] += micros; // same bucket (or a late record: counted now)
    else s.buckets.push([idx, micros]);
    const oldest = idx - Math.ceil(this.horizonMs / this.bucketMs);
    let drop = 0;
    while (drop < s.buckets.length && s.buckets[drop]![0] <= oldest) drop++;
    if (drop > 0) s.buckets.splice(0, drop);
    return s;
  }

  /** Spend in the `spanMs` ending at `tMs` (whole buckets). */
  private sum(s: TenantSpend, tMs: number, spanMs: number): number {
    const from = Math.floor(tMs / this.bucketMs) - Math.ceil(spanMs / this.bucketMs);
    let total = 0;
    for (let i = s.buckets.length - 1; i >= 0 && s.buckets[i]![0] > from; i--) total += s.buckets[i]![1];
    return total;
  }
}

function fmt(ms: number): string {
  return ms >= 3_600_000 ? `${ms / 3_600_000}h` : `${ms / 60_000}m`;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
