import { AlertMonitor } from '../../../adapters/observers/index.js';
import type { Alert } from '../../../adapters/observers/index.js';
import { windowDurationMs, type BudgetWindow } from '../../../index.js';
import type { DecisionRecord } from '../../../index.js';
import { usdToMicros } from '../../../index.js';
import type { Policy } from '../../../index.js';

/** One tenant as on-call sees it "now" (the last record's time): spend in the last hour and burn rate. */
export interface OnCallTenant {
  tenant: string;
  lastHourMicros: number;
  lastHourRequests: number;
  /** Last hour's spend over the ideal hourly spend of its tightest money budget (1 = on pace). */
  burnRate?: number;
  budgetWindow?: string;
  budgetMicros?: number;
  refusedLastHour: number;
}

export interface OnCallView {
  now?: string;
  records: number;
  /** The latest alerts (at most 200), oldest first; `alertCounts` counts all of them. */
  alerts: Alert[];
  alertCounts: Record<string, number>;
  topTenants: OnCallTenant[];
}

const HOUR_MS = 3_600_000;
const MAX_ALERTS = 200;

/**
 * Replays decision records through the engine's {@link AlertMonitor} (burn rate, spend anomalies,
 * token inflation) and summarises the last hour per tenant. Records must be in time order.
 */
export class OnCallBuilder {
  private readonly monitor: AlertMonitor;
  private readonly alerts: Alert[] = [];
  private readonly counts: Record<string, number> = {};
  /** The last hour of records: [timeMs, tenant, fullMicros, refused]. */
  private recent: [number, string, number, boolean][] = [];
  private latest = -Infinity;
  private records = 0;

  constructor(private readonly tenants: Policy['tenants']) {
    this.monitor = new AlertMonitor({ tenants });
  }

  observe(r: DecisionRecord): void {
    this.records++;
    this.collect(this.monitor.observe(r));
    const t = Date.parse(r.time);
    if (!Number.isFinite(t)) return;
    if (t > this.latest) this.latest = t;
    this.recent.push([t, r.tenant, r.cost.full, r.outcome === 'refused']);
    if (this.recent.length > 50_000 && this.recent[0]![0] < this.latest - HOUR_MS) this.recent = this.recent.filter((x) => x[0] >= this.latest - HOUR_MS);
  }

  async finish(): Promise<OnCallView> {
    this.collect(await this.monitor.flush());
    const from = this.latest - HOUR_MS;
    const by = new Map<string, OnCallTenant>();
    for (const [t, tenant, full, refused] of this.recent) {
      if (t <= from) continue;
      let e = by.get(tenant);
      if (!e) by.set(tenant, (e = { tenant, lastHourMicros: 0, lastHourRequests: 0, refusedLastHour: 0 }));
      e.lastHourMicros += full;
      e.lastHourRequests++;
      if (refused) e.refusedLastHour++;
    }
    for (const e of by.values()) Object.assign(e, this.burn(e.tenant, e.lastHourMicros));
    const topTenants = [...by.values()].sort((a, b) => b.lastHourMicros - a.lastHourMicros).slice(0, 10);
    return {
      now: Number.isFinite(this.latest) ? new Date(this.latest).toISOString() : undefined,
      records: this.records,
      alerts: this.alerts,
      alertCounts: this.counts,
      topTenants,
    };
  }

  private collect(raised: Alert[]): void {
    for (const a of raised) {
      this.counts[a.kind] = (this.counts[a.kind] ?? 0) + 1;
      this.alerts.push(a);
      if (this.alerts.length > MAX_ALERTS) this.alerts.shift();
    }
  }

  /** Burn rate of the tenant's tightest tenant-wide money budget over the last hour. */
  private burn(tenant: string, lastHourMicros: number): Pick<OnCallTenant, 'burnRate' | 'budgetWindow' | 'budgetMicros'> {
    let best: Pick<OnCallTenant, 'burnRate' | 'budgetWindow' | 'budgetMicros'> = {};
    for (const b of this.tenants[tenant]?.budgets ?? []) {
      if (b.usd === undefined || b.usd <= 0 || b.tag !== undefined) continue;
      const limit = usdToMicros(b.usd);
      const idealHour = (limit / windowDurationMs(b.window as BudgetWindow, this.latest)) * HOUR_MS;
      const rate = Math.round((lastHourMicros / idealHour) * 100) / 100;
      if (best.burnRate === undefined || rate > best.burnRate) best = { burnRate: rate, budgetWindow: b.window, budgetMicros: limit };
    }
    return best;
  }
}
