import { AlertMonitor } from '../../../adapters/observers/index.js';
import type { Alert } from '../../../adapters/observers/index.js';
import { windowDurationMs, type BudgetWindow } from '../../../index.js';
import type { DecisionRecord } from '../../../index.js';
import { usdToMicros } from '../../../index.js';
import type { Policy } from '../../../index.js';
import { CircuitBreaker, GuardBook, type CircuitState, type GuardState } from '../../../index.js';

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

/** One tenant's guard state at "now" (engine/guard-state.ts), replayed from the run's records. */
export interface OnCallGuard {
  tenant: string;
  state: GuardState;
  /** When the tenant entered the state (ISO); absent for a tenant that never left normal. */
  since?: string;
  lastAction?: string;
  /** When the budget windows turn and the state falls back to normal (ISO). */
  resetAt?: string;
  transitions: number;
}

/** One model's circuit breaker at "now" (engine/circuit-breaker.ts), replayed from the run's records. */
export interface OnCallBreaker {
  model: string;
  state: CircuitState;
  failures: number;
  openUntil?: string;
}

export interface OnCallView {
  now?: string;
  records: number;
  /** The latest alerts (at most 200), oldest first; `alertCounts` counts all of them. */
  alerts: Alert[];
  alertCounts: Record<string, number>;
  topTenants: OnCallTenant[];
  /** Every budgeted tenant's guard state, and any other tenant that left normal. */
  guards: OnCallGuard[];
  /** Every model the records name: its circuit after replaying their failures and answers. */
  breakers: OnCallBreaker[];
}

/** Codes of failures that count against a model's circuit (engine/invoke.ts: retryable provider errors). */
const COUNTED = new Set(['provider_server_error', 'provider_rate_limited', 'provider_timeout', 'provider_network']);

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

  private readonly guards: GuardBook;
  private readonly breaker: CircuitBreaker;
  private readonly models = new Set<string>();
  private clock = 0;

  constructor(
    private readonly tenants: Policy['tenants'],
    circuit: Policy['circuitBreaker'] = { failureThreshold: 5, cooldownMs: 30_000 },
  ) {
    this.monitor = new AlertMonitor({ tenants });
    this.guards = new GuardBook(tenants);
    this.breaker = new CircuitBreaker(circuit.failureThreshold, circuit.cooldownMs, () => this.clock);
  }

  observe(r: DecisionRecord): void {
    this.records++;
    this.collect(this.monitor.observe(r));
    const t = Date.parse(r.time);
    if (!Number.isFinite(t)) return;
    if (t > this.latest) this.latest = t;
    this.clock = t;
    this.guards.observeRecord(r, t);
    this.replayCircuits(r);
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
      ...this.states(),
    };
  }

  /**
   * The engine's breaker machine fed from the log: a counted failure per model a record fell back from
   * (attempts are not logged one by one, so this is at most one failure per record and model), a success
   * for the model that answered. A fast replay calls no breaker, so its records only ever show answers.
   */
  private replayCircuits(r: DecisionRecord): void {
    for (const f of r.fallbacks) {
      this.models.add(f.model);
      if (!COUNTED.has(f.code)) continue;
      const ticket = this.breaker.allow(f.model);
      ticket?.failure();
      ticket?.release();
    }
    const failed = r.error?.code === 'stream_interrupted';
    if (r.model && (r.outcome === 'ok' || failed)) {
      this.models.add(r.model);
      const ticket = this.breaker.allow(r.model);
      if (failed) ticket?.failure();
      else ticket?.success();
      ticket?.release();
    }
  }

  private states(): Pick<OnCallView, 'guards' | 'breakers'> {
    const at = Number.isFinite(this.latest) ? this.latest : 0;
    const iso = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? undefined : new Date(ms).toISOString());
    const names = new Set([...Object.keys(this.tenants).filter((t) => (this.tenants[t]?.budgets.length ?? 0) > 0), ...this.guards.snapshot(at).map((g) => g.tenant)]);
    const guards = [...names].sort().map((tenant): OnCallGuard => {
      const g = this.guards.describe(tenant, at);
      const moved = g.transitions > 0;
      return { tenant, state: g.state, ...(moved && { since: iso(g.since) }), ...(g.lastAction && { lastAction: g.lastAction }), ...(g.resetAt !== undefined && { resetAt: iso(g.resetAt) }), transitions: g.transitions };
    });
    this.clock = at;
    const breakers = [...this.models].sort().map((m): OnCallBreaker => {
      const c = this.breaker.describe(m);
      return { model: m, state: c.state, failures: c.failures, ...(c.openUntil !== undefined && { openUntil: iso(c.openUntil) }) };
    });
    return { guards, breakers };
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
