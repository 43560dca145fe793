import { TollgateError } from '../../../engine/errors.js';
import type { SpecificationVersion } from '../../../engine/seams/specification.js';

export type AlertKind = 'burn-rate' | 'spend-anomaly' | 'token-inflation' | 'runaway-client';

/** One alert. Built by the AlertMonitor's detectors; delivered to an {@link AlertSink}. */
export interface Alert {
  /** Deduplication key (kind, tenant and detector-specific scope): the same key within the dedup window is not re-sent. */
  key: string;
  kind: AlertKind;
  /** `page`: act now (fast burn, anomalies). `ticket`: act within a day (slow burn). */
  severity: 'page' | 'ticket';
  tenant: string;
  /** ISO time of the decision record that raised it: trace time on a replay, wall time live. */
  at: string;
  /** One line a human can act on. */
  message: string;
  /** The numbers behind it (burn rates, z-score, baseline…). */
  data: Record<string, number | string>;
}

/**
 * AlertSink — where alerts go (a log, a webhook, a pager).
 *
 * Contract: `send` is called once per alert that passed deduplication, in the order alerts were raised,
 * and resolves when the sink has delivered it (or accepted it for delivery). It rejects with
 * {@link AlertDeliveryError} when delivery failed; the caller (AlertMonitor) reports that and goes on —
 * an alert sink never stops request handling. Sinks need not be safe across processes: each process
 * runs its own monitor (a shared dedup needs a shared store). `close` flushes and releases resources.
 */
export interface AlertSink {
  /** The seam version this implementation was written against. */
  readonly specificationVersion?: SpecificationVersion;
  /** Called once per alert that passed deduplication, in raise order; resolves when delivered (or accepted). Throws `alert_delivery_failed`. */
  send(alert: Alert): Promise<void>;
  /** Called once on shutdown: flushes pending deliveries and releases resources. */
  close?(): Promise<void>;
}

/** Error codes an AlertSink may throw. `alert_delivery_failed` — {@link AlertDeliveryError}. */
export type AlertSinkErrorCode = 'alert_delivery_failed';

/** A sink could not deliver an alert (HTTP error status, timeout, network failure). */
export class AlertDeliveryError extends TollgateError {
  constructor(readonly sink: string, readonly alertKey: string, reason: string, readonly status?: number, options?: { cause?: unknown }) {
    super('alert_delivery_failed', `${sink} could not deliver alert ${alertKey}: ${reason}`, { sink, alertKey, status }, options);
  }
}
