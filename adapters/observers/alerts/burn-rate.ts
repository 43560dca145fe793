import type { Policy } from '../../../policies/schema.js';
import { usdToMicros } from '../../../engine/money.js';
import { windowDurationMs, type BudgetWindow } from '../../../engine/budget-windows.js';
import type { Alert } from './alert-sink.js';
import { dollars } from './money.js';

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

/**
 * Workbook defaults, as deploy/prometheus/alerting.rules.yml: 2% of a 30-day budget in 1 h (14.4× over
 * 1 h and 5 min, page); 5% in 6 h (6× over 6 h and 30 min, ticket); on course to overspend (1× over 3 days
 * and 6 h, ticket).
 */
export const DEFAULT_BURN_RATE_PAIRS: readonly BurnRatePair[] = [
  { name: 'fast', severity: 'page', longMs: 3_600_000, shortMs: 300_000, threshold: 14.4 },
  { name: 'slow', severity: 'ticket', longMs: 6 * 3_600_000, shortMs: 1_800_000, threshold: 6 },
  { name: 'sustained', severity: 'ticket', longMs: 3 * 86_400_000, shortMs: 6 * 3_600_000, threshold: 1 },
];

export interface BurnRateOptions {
  pairs?: readonly BurnRatePair[];
  /** Resolution of the spend history. Default 1 minute. */
  bucketMs?: number;
}

interface TenantSpend {
  /** [bucket index, running total of µ$ through this bucket] in ascending bucket order. */
  buckets: [number, number][];
  /** Running total before the oldest kept bucket (dropped buckets' spend). */
  base: number;
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
        const spentLong = this.sum(s, tMs, p.longMs);
        const short = this.sum(s, tMs, p.shortMs) / (idealPerMs * p.shortMs);
        if (short < p.threshold) continue;
        alerts.push({
          key: `burn-rate:${tenant}:${window}:${p.name}`,
          kind: 'burn-rate',
          severity: p.severity,
          tenant,
          at,
          message: `Tenant "${tenant}" spent ${dollars(spentLong)} in the last ${fmt(p.longMs)} of its ${dollars(limit)} ${window} budget: ${long.toFixed(1)}× the even pace over ${fmt(p.longMs)} and ${short.toFixed(1)}× over ${fmt(p.shortMs)} (threshold ${p.threshold}×)`,
          data: { window, pair: p.name, longBurn: round(long), shortBurn: round(short), threshold: p.threshold, budgetMicros: limit, spentMicros: spentLong },
        });
      }
    }
    return alerts;
  }

  private record(tenant: string, tMs: number, micros: number): TenantSpend {
    let s = this.spend.get(tenant);
    if (!s) this.spend.set(tenant, (s = { buckets: [], base: 0 }));
    const idx = Math.floor(tMs / this.bucketMs);
    const last = s.buckets[s.buckets.length - 1];
    if (last && last[0] >= idx) last[1] += micros; // same bucket (or a late record: counted now)
    else s.buckets.push([idx, (last?.[1] ?? s.base) + micros]);
    const oldest = idx - Math.ceil(this.horizonMs / this.bucketMs);
    let drop = 0;
    while (drop < s.buckets.length && s.buckets[drop]![0] <= oldest) drop++;
    if (drop > 0) {
      s.base = s.buckets[drop - 1]![1];
      s.buckets.splice(0, drop);
    }
    return s;
  }

  /** Spend in the `spanMs` ending at `tMs` (whole buckets): running total now minus at the window's start. */
  private sum(s: TenantSpend, tMs: number, spanMs: number): number {
    const from = Math.floor(tMs / this.bucketMs) - Math.ceil(spanMs / this.bucketMs);
    const b = s.buckets;
    if (b.length === 0) return 0;
    // Last bucket with index ≤ from (binary search); the spend after it is in the window.
    let lo = 0;
    let hi = b.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (b[mid]![0] <= from) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return b[b.length - 1]![1] - (at >= 0 ? b[at]![1] : s.base);
  }
}

function fmt(ms: number): string {
  return ms >= 3_600_000 ? `${ms / 3_600_000}h` : `${ms / 60_000}m`;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
