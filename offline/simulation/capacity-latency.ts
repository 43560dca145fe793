/**
 * Latency quantiles in flat memory: a histogram of log-spaced buckets (1% wide above 1 ms), so a
 * 1M-request replay keeps a few kB per model. Quantiles are the bucket's upper edge (≤ 1% high).
 */
const GROWTH = Math.log(1.01);
const MAX_BUCKET = 3_000; // 1.01^3000 ms ≈ 10^13 ms: far beyond any queue

export class LatencyHistogram {
  /** counts[0]: exactly 0 ms; counts[1]: (0, 1] ms; counts[b + 1]: (1.01^(b-1), 1.01^b] ms. */
  private readonly counts = new Uint32Array(MAX_BUCKET + 2);
  private n = 0;

  add(ms: number): void {
    this.counts[ms <= 0 ? 0 : ms <= 1 ? 1 : Math.min(MAX_BUCKET, Math.ceil(Math.log(ms) / GROWTH)) + 1]!++;
    this.n++;
  }

  get count(): number {
    return this.n;
  }

  /** The q-quantile (0–1) in ms, rounded to 0.1 ms; 0 when empty. */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return i === 0 ? 0 : i === 1 ? 1 : Math.round(Math.exp((i - 1) * GROWTH) * 10) / 10;
    }
    return 0;
  }
}

/** A binary min-heap of numbers (completion and start times). */
export class MinHeap {
  private readonly a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): number | undefined {
    return this.a[0];
  }
  push(x: number): void {
    const a = this.a;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= x) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = x;
  }
  pop(): number | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      const n = a.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
  /** Drops every entry ≤ t. */
  dropUpTo(t: number): void {
    while (this.a.length > 0 && this.a[0]! <= t) this.pop();
  }
}
