import type { Policy } from '../../../policies/schema.js';
import type { DecisionRecord } from '../../../engine/decision-record.js';
import type { Alert, AlertSink } from './alert-sink.js';
import { AnomalyDetector, type AnomalyOptions } from './anomaly.js';
import { BurnRateDetector, type BurnRateOptions } from './burn-rate.js';
import { AlertDeduplicator } from './dedup.js';
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
}

/**
 * Turns a stream of decision records into alerts: multi-window burn rate on money budgets, spend
 * anomalies and token inflation per tenant, deduplicated by key, delivered to a sink. It only reads
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
  private tail: Promise<void> = Promise.resolve();
  private latest = -Infinity;
  private latestIso = new Date(0).toISOString();

  constructor(private readonly options: AlertMonitorOptions) {
    this.burn = options.burnRate === false ? undefined : new BurnRateDetector(options.tenants, options.burnRate);
    this.anomaly = options.anomaly === false ? undefined : new AnomalyDetector(options.anomaly);
    this.dedup = new AlertDeduplicator(options.dedupWindowMs ?? 3_600_000);
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
    const out = raised.filter((a) => this.dedup.admit(a));
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
