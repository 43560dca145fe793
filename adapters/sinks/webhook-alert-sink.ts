import { AlertDeliveryError, type Alert, type AlertSink } from '../observers/alerts/alert-sink.js';
import { AlertDeduplicator } from '../observers/alerts/dedup.js';

export interface WebhookAlertSinkOptions {
  /** Endpoint receiving `POST` with JSON body `{ "alert": Alert }`. */
  url: string;
  /** Extra headers (e.g. an auth token). Never logged. */
  headers?: Record<string, string>;
  /** Per-delivery timeout. Default 5,000 ms. */
  timeoutMs?: number;
  /** Deduplicate by key within this window (alert time) in the sink itself. Default: no sink-level dedup. */
  dedupWindowMs?: number;
  /** `fetch` implementation (default: the global one). */
  fetch?: typeof fetch;
}

/**
 * Delivers alerts over HTTP: one `POST` per alert, JSON body `{ "alert": … }`. A non-2xx answer, a
 * timeout or a network error rejects with {@link AlertDeliveryError} (status included when known);
 * it does not retry (the AlertMonitor logs the failure and goes on).
 */
export class WebhookAlertSink implements AlertSink {
  readonly specificationVersion = 'v1' as const;
  private readonly dedup: AlertDeduplicator | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: WebhookAlertSinkOptions) {
    new URL(options.url); // throws early on a malformed URL
    this.dedup = options.dedupWindowMs === undefined ? undefined : new AlertDeduplicator(options.dedupWindowMs);
    this.fetchImpl = options.fetch ?? fetch;
  }

  async send(alert: Alert): Promise<void> {
    if (this.dedup && !this.dedup.admit(alert)) return;
    let res: Response;
    try {
      res = await this.fetchImpl(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.options.headers },
        body: JSON.stringify({ alert }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
      });
    } catch (err) {
      const reason = err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : err instanceof Error ? err.message : String(err);
      throw new AlertDeliveryError('webhook', alert.key, reason, undefined, { cause: err });
    }
    await res.body?.cancel().catch(() => undefined);
    if (!res.ok) throw new AlertDeliveryError('webhook', alert.key, `HTTP ${res.status}`, res.status);
  }
}
