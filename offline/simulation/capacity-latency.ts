/**
 * Latency quantiles in flat memory: a histogram of log-spaced buckets (1% wide above 1 ms), so a
 * 1M-request replay keeps a few kB per model. Quantiles are the bucket's upper edge (≤ 1% high).
 */
const GROWTH = Math.log(1.01);
const MAX_BUCKET = 3_000; // 1.01^3000 ms ≈ 10^13 ms: far beyond any queue

export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  private n = 0;

  add(ms: number): void {
    const b = ms <= 0 ? -1 : ms <= 1 ? 0 : Math.min(MAX_BUCKET, Math.ceil(Math.log(ms) / GROWTH));
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
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
    for (const b of [...this.counts.keys()].sort((x, y) => x - y)) {
      seen += this.counts.get(b)!;
      if (seen >= rank) return b < 0 ? 0 : b === 0 ? 1 : Math.round(Math.exp(b * GROWTH) * 10) / 10;
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
