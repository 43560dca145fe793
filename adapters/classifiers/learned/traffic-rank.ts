/**
 * The `traffic-rank` quality scale of the learned classifier: a model's quality is 1 − the share of
 * recent requests whose predicted shortfall (p_best − p_model) was smaller than this request's. With
 * that scale a rule's `qualityFloor` f sends about a share f of traffic to models other than the weak
 * one (the requests with the largest predicted gain from a stronger model), whatever the traffic's mix
 * — a fixed threshold tuned on one mix of prompts gives a different share on another (measured in
 * docs/learned-routing.md: 30% on the training subjects became 23% on MMLU's eval subjects).
 *
 * The window holds the last `size` shortfalls per model, seeded with evenly spaced quantiles of the
 * artefact's out-of-fold predictions (so the first requests are ranked against training-like traffic);
 * each request is ranked, then added. State is per process (per classifier instance).
 */
export class TrafficRank {
  private readonly rings: Float64Array[];
  private readonly filled: number[];
  private readonly next: number[];

  /**
   * @param seeds per model, shortfalls to seed the window with (any order; evenly spaced quantiles of
   *   them are kept when there are more than `size`)
   */
  constructor(readonly size: number, seeds: readonly (readonly number[])[]) {
    this.rings = seeds.map(() => new Float64Array(size));
    this.filled = seeds.map(() => 0);
    this.next = seeds.map(() => 0);
    seeds.forEach((s, j) => {
      const sorted = [...s].sort((a, b) => a - b);
      const n = Math.min(size, sorted.length);
      for (let i = 0; i < n; i++) this.rings[j]![i] = sorted[Math.floor(((i + 0.5) / n) * sorted.length)]!;
      this.filled[j] = n;
      this.next[j] = n % size;
    });
  }

  /** Share of the window (model `j`) strictly below `shortfall`, then `shortfall` joins the window. 0 while the window is empty. */
  rankAndAdd(j: number, shortfall: number): number {
    const ring = this.rings[j]!;
    const n = this.filled[j]!;
    let below = 0;
    for (let i = 0; i < n; i++) if (ring[i]! < shortfall) below++;
    ring[this.next[j]!] = shortfall;
    this.next[j] = (this.next[j]! + 1) % this.size;
    if (n < this.size) this.filled[j] = n + 1;
    return n ? below / n : 0;
  }
}
