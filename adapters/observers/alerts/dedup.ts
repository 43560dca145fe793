import type { Alert, AlertSink } from './alert-sink.js';

/**
 * Suppresses an alert whose key was already let through less than `windowMs` earlier. Time is the
 * alert's own `at` (record time), so a replayed trace deduplicates exactly as live traffic would.
 */
export class AlertDeduplicator {
  private readonly lastSent = new Map<string, number>();

  constructor(readonly windowMs: number = 3_600_000) {}

  /** True (and remembered) when the alert should be sent. */
  admit(alert: Alert): boolean {
    const t = Date.parse(alert.at);
    const last = this.lastSent.get(alert.key);
    if (last !== undefined && t - last < this.windowMs) return false;
    this.lastSent.set(alert.key, t);
    if (this.lastSent.size > 10_000) for (const [k, v] of this.lastSent) if (t - v >= this.windowMs) this.lastSent.delete(k);
    return true;
  }
}

/** Wraps a sink so that the same alert key within `windowMs` is sent once. */
export class DedupingAlertSink implements AlertSink {
  readonly specificationVersion = 'v1' as const;
  private readonly dedup: AlertDeduplicator;
  constructor(
    private readonly inner: AlertSink,
    windowMs?: number,
  ) {
    this.dedup = new AlertDeduplicator(windowMs);
  }
  async send(alert: Alert): Promise<void> {
    if (this.dedup.admit(alert)) await this.inner.send(alert);
  }
  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
