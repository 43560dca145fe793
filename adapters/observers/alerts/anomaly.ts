import type { Alert } from './alert-sink.js';
import { EwmaBaseline } from './ewma.js';
import { dollars } from './money.js';

/**
 * Anomaly detection per tenant over fixed time buckets, against an EWMA baseline of past buckets:
 * - spend-anomaly: full cost spent in the bucket (idle buckets count as zero spend). A material one
 *   (≥ `pageMinSpendMicros`) is checked while the bucket is still open — spend only grows, so it pages
 *   before its bucket ends; a smaller one is checked when the bucket closes and is a ticket.
 * - token-inflation: mean tokens (input + output) per request in the bucket, checked when it closes.
 * A value is anomalous when it is past warm-up, `z ≥ zThreshold`, `value ≥ minRatio × baseline`, and
 * (for spend) at least `minSpendMicros`. Anomalous values enter the baseline clipped to the alert
 * threshold, so a lasting shift is learned slowly while a spike does not poison the baseline.
 *
 * Severity: a spend anomaly pages only when it is material — at least `pageMinSpendMicros` in the bucket
 * (default $0.50 per 5 minutes, $6/h above nothing) — and is a ticket below that; a few cents of burst is
 * worth a look, not a wake-up. Token inflation (a prompt or answer regression) is always a ticket, and
 * needs at least `minRequests` requests in the bucket (one long request is not inflation).
 */
export interface AnomalyOptions {
  /** Bucket length. Default 5 minutes. */
  bucketMs?: number;
  /** EWMA weight of the newest bucket. Default 0.1 (≈ 19-bucket memory). */
  alpha?: number;
  /** Buckets observed before alerting. Default 12. */
  warmupBuckets?: number;
  /** Default 4. */
  zThreshold?: number;
  /** Default 2 (the value must be at least twice the baseline). */
  minRatio?: number;
  /** Spend below this never alerts. Default 10,000 µ$ (one cent) per bucket. */
  minSpendMicros?: number;
  /** Idle buckets fed to the baseline at most, after a gap. Default 288 (a day of 5-minute buckets). */
  maxGapBuckets?: number;
  /** A spend anomaly with at least this much spent in its bucket pages; below it, a ticket. Default 500,000 µ$ ($0.50). */
  pageMinSpendMicros?: number;
  /** Requests a bucket needs before its tokens per request can be inflated. Default 5. */
  minRequests?: number;
}

interface Open {
  index: number;
  spend: number;
  tokens: number;
  requests: number;
}

interface TenantState {
  open: Open;
  spend: EwmaBaseline;
  tokensPerRequest: EwmaBaseline;
}

export class AnomalyDetector {
  private readonly o: Required<AnomalyOptions>;
  private readonly tenants = new Map<string, TenantState>();

  constructor(options: AnomalyOptions = {}) {
    this.o = {
      bucketMs: 300_000,
      alpha: 0.1,
      warmupBuckets: 12,
      zThreshold: 4,
      minRatio: 2,
      minSpendMicros: 10_000,
      maxGapBuckets: 288,
      pageMinSpendMicros: 500_000,
      minRequests: 5,
      ...options,
    };
  }

  /** Adds one request; returns alerts raised by closing earlier buckets or by the open bucket's spend. */
  observe(tenant: string, tMs: number, fullMicros: number, tokens: number, at: string): Alert[] {
    const index = Math.floor(tMs / this.o.bucketMs);
    let s = this.tenants.get(tenant);
    if (!s) {
      s = { open: { index, spend: 0, tokens: 0, requests: 0 }, spend: this.baseline(), tokensPerRequest: this.baseline() };
      this.tenants.set(tenant, s);
    }
    const alerts: Alert[] = [];
    if (index > s.open.index) {
      alerts.push(...this.close(tenant, s, at));
      const idle = Math.min(index - s.open.index - 1, this.o.maxGapBuckets);
      for (let i = 0; i < idle; i++) s.spend.update(0);
      s.open = { index, spend: 0, tokens: 0, requests: 0 };
    }
    s.open.spend += fullMicros;
    s.open.tokens += tokens;
    s.open.requests++;
    // A material spike pages while its bucket is still open; a small one is a ticket when the bucket closes.
    const spike = this.check(s.spend, s.open.spend, Math.max(this.o.minSpendMicros, this.o.pageMinSpendMicros));
    if (spike) alerts.push(this.alert('spend-anomaly', tenant, at, s.open.spend, spike));
    return alerts;
  }

  /** Closes every open bucket (end of a replay) and returns what that raises. */
  flush(at: string): Alert[] {
    const alerts: Alert[] = [];
    for (const [tenant, s] of this.tenants) {
      alerts.push(...this.close(tenant, s, at));
      s.open = { index: s.open.index + 1, spend: 0, tokens: 0, requests: 0 };
    }
    return alerts;
  }

  private close(tenant: string, s: TenantState, at: string): Alert[] {
    const alerts: Alert[] = [];
    const { spend, tokens, requests } = s.open;
    if (spend < this.o.pageMinSpendMicros) {
      const small = this.check(s.spend, spend, this.o.minSpendMicros);
      if (small) alerts.push(this.alert('spend-anomaly', tenant, at, spend, small));
    }
    this.learn(s.spend, spend);
    if (requests > 0) {
      const perRequest = tokens / requests;
      const hit = requests >= this.o.minRequests ? this.check(s.tokensPerRequest, perRequest, 0) : undefined;
      if (hit) alerts.push(this.alert('token-inflation', tenant, at, perRequest, hit));
      this.learn(s.tokensPerRequest, perRequest);
    }
    return alerts;
  }

  private check(b: EwmaBaseline, value: number, floor: number): { z: number; mean: number } | undefined {
    const { z, mean, ready } = b.score(value);
    if (!ready || value < floor || z < this.o.zThreshold || value < this.o.minRatio * mean) return undefined;
    return { z, mean };
  }

  /** Updates a baseline, clipping an anomalous value to the alert threshold. */
  private learn(b: EwmaBaseline, value: number): void {
    const { mean, std, ready } = b.score(value);
    b.update(ready ? Math.min(value, mean + this.o.zThreshold * std) : value);
  }

  private baseline(): EwmaBaseline {
    return new EwmaBaseline(this.o.alpha, this.o.warmupBuckets);
  }

  private alert(kind: 'spend-anomaly' | 'token-inflation', tenant: string, at: string, value: number, hit: { z: number; mean: number }): Alert {
    const ratio = hit.mean > 0 ? value / hit.mean : Infinity;
    const times = Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : 'far above';
    const minutes = Math.round(this.o.bucketMs / 60_000);
    const spend = kind === 'spend-anomaly';
    const message = spend
      ? `Tenant "${tenant}" spent ${dollars(value)} in the last ${minutes} min, ${times} its usual ${dollars(hit.mean)} (z = ${hit.z.toFixed(1)})`
      : `Tenant "${tenant}" averaged ${Math.round(value)} tokens per request over ${minutes} min, ${times} its usual ${Math.round(hit.mean)} (z = ${hit.z.toFixed(1)})`;
    return {
      key: `${kind}:${tenant}`,
      kind,
      severity: spend && value >= this.o.pageMinSpendMicros ? 'page' : 'ticket',
      tenant,
      at,
      message,
      data: { value: Math.round(value * 100) / 100, baseline: Math.round(hit.mean * 100) / 100, z: Math.round(hit.z * 100) / 100, bucketMs: this.o.bucketMs },
    };
  }
}
