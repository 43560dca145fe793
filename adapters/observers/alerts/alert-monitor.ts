import type { Policy } from '../../../policies/schema.js';
import type { DecisionRecord } from '../../../engine/decision-record.js';
import type { Alert, AlertSink } from './alert-sink.js';
import { AnomalyDetector, type AnomalyOptions } from './anomaly.js';
import { BurnRateDetector, type BurnRateOptions } from './burn-rate.js';
import { AlertDeduplicator } from './dedup.js';
import { AlertGrouper, type GroupingOptions } from './grouping.js';
import { type MaintenanceWindow, underMaintenance } from './maintenance.js';
import { runawayAlerts } from './runaway.js';

export interface AlertMonitorOptions {
  /** The policy's `tenants` section (money budgets drive burn-rate alerts). */
  tenants: Policy['tenants'];
  /** Where alerts go; without one, alerts are only returned by `observe`. */
  sink?: AlertSink;
  /** Same alert key within this long (record time) is sent once. Default 1 h. */
  dedupWindowMs?: number;
  /** Burn-rate settings, or `false` to disable. */
  burnRate?: BurnRateOptions | false;
  /** Anomaly settings, or `false` to disable. */
  anomaly?: AnomalyOptions | false;
  /** Called when the sink fails to deliver; default: write a line to stderr. */
  onSinkError?: (error: unknown, alert: Alert) => void;
  /** Per-tenant grouping (one page per tenant per hour, one ticket per tenant and kind per day), or `false` for none. */
  grouping?: GroupingOptions | false;
  /** Declared maintenance windows: alerts raised inside one (for its tenants, or all) are suppressed. */
  maintenance?: MaintenanceWindow[];
}

/** What the monitor did with the alerts its detectors raised. */
export interface AlertMonitorStats {
  raised: number;
  /** Inside a maintenance window. */
  suppressed: number;
  /** Same key within the dedup window. */
  deduplicated: number;
  /** Folded into an earlier notification for the same tenant. */
  grouped: number;
  pages: number;
  tickets: number;
}

/**
 * Turns a stream of decision records into alerts: multi-window burn rate on money budgets, spend
 * anomalies and token inflation per tenant, runaway clients. Severity follows the page/ticket split
 * (page: act now — fast burn, material spend spikes, refused loops; ticket: working hours — slow and
 * sustained burn, small spend anomalies, token inflation). Alerts inside a declared maintenance window are
 * suppressed; the rest are deduplicated by key, grouped per tenant, and delivered to a sink. It only reads
 * record fields (`time`, `tenant`, `cost.full`, `tokens`), so it runs the same live (the engine calls
 * `observe` after each decision) and on a replayed decision log or simulation.
 *
 * Records must arrive in time order; a record older than the latest one seen is counted at the latest
 * time. Sink deliveries run in the background, one at a time in order; `flush` awaits them.
 */
export class AlertMonitor {
  private readonly burn: BurnRateDetector | undefined;
  private readonly anomaly: AnomalyDetector | undefined;
  private readonly dedup: AlertDeduplicator;
  private readonly grouper: AlertGrouper | undefined;
  private readonly counts: AlertMonitorStats = { raised: 0, suppressed: 0, deduplicated: 0, grouped: 0, pages: 0, tickets: 0 };
  private tail: Promise<void> = Promise.resolve();
  private latest = -Infinity;
  private latestIso = new Date(0).toISOString();

  constructor(private readonly options: AlertMonitorOptions) {
    this.burn = options.burnRate === false ? undefined : new BurnRateDetector(options.tenants, options.burnRate);
    this.anomaly = options.anomaly === false ? undefined : new AnomalyDetector(options.anomaly);
    this.dedup = new AlertDeduplicator(options.dedupWindowMs ?? 3_600_000);
    this.grouper = options.grouping === false ? undefined : new AlertGrouper(options.grouping);
  }

  /** Counts so far: raised, suppressed (maintenance), deduplicated, grouped, and sent pages and tickets. */
  stats(): AlertMonitorStats {
    return { ...this.counts, grouped: this.grouper?.grouped ?? 0 };
  }

  /** Feeds one record; returns the alerts it raised that passed deduplication (and sends them). */
  observe(record: DecisionRecord): Alert[] {
    const parsed = Date.parse(record.time);
    if (Number.isFinite(parsed) && parsed >= this.latest) {
      this.latest = parsed;
      this.latestIso = new Date(parsed).toISOString();
    }
    const t = this.latest;
    if (!Number.isFinite(t)) return [];
    const raised: Alert[] = [];
    const full = record.cost.full;
    if (this.burn) raised.push(...this.burn.observe(record.tenant, t, full, this.latestIso));
    if (this.anomaly && record.outcome !== 'refused') {
      raised.push(...this.anomaly.observe(record.tenant, t, full, record.tokens.input + record.tokens.output, this.latestIso));
    }
    raised.push(...runawayAlerts(record, this.latestIso));
    return this.emit(raised);
  }

  /** Closes open anomaly buckets (call at the end of a replay) and waits for every delivery. */
  async flush(): Promise<Alert[]> {
    const emitted = this.anomaly ? this.emit(this.anomaly.flush(this.latestIso)) : [];
    await this.tail;
    return emitted;
  }

  private emit(raised: Alert[]): Alert[] {
    const out: Alert[] = [];
    const maintenance = this.options.maintenance ?? [];
    for (const a of raised) {
      this.counts.raised++;
      if (maintenance.length && underMaintenance(maintenance, a.tenant, Date.parse(a.at))) {
        this.counts.suppressed++;
        continue;
      }
      if (!this.dedup.admit(a)) {
        this.counts.deduplicated++;
        continue;
      }
      const sent = this.grouper ? this.grouper.admit(a) : a;
      if (!sent) continue;
      if (sent.severity === 'page') this.counts.pages++;
      else this.counts.tickets++;
      out.push(sent);
    }
    const sink = this.options.sink;
    if (sink) {
      const onError = this.options.onSinkError ?? defaultOnError;
      for (const a of out) this.tail = this.tail.then(() => sink.send(a)).catch((err: unknown) => onError(err, a));
    }
    return out;
  }
}

function defaultOnError(error: unknown, alert: Alert): void {
  process.stderr.write(`tollgate: alert ${alert.key} not delivered: ${error instanceof Error ? error.message : String(error)}\n`);
}
