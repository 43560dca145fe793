/**
 * The `utility` quality scale: the router's "cheapest candidate whose quality meets the floor" made to
 * pick, for every request, the model that maximises predicted success − λ·cost, with the floor f standing
 * for λ = (1/f − 1) per unit of the request's dearest candidate cost (f = 1: λ = 0, the most likely
 * model; f → 0: λ → ∞, the cheapest). Costs are normalised per request, so λ reads "success probability
 * worth paying the dearest model's price for"; f = 0.5 trades one unit of success for the whole price.
 *
 * How: the candidates' (cost, p) points are reduced to their upper-left hull; hull model h_i is the
 * utility-best model exactly for λ between the slopes to its neighbours, so it gets quality
 * g(slope(h_i, h_i+1)) with g(λ) = 1 / (1 + λ·c_max) (the dearest hull model gets 1), and models off the
 * hull get 0. Then the cheapest model with quality ≥ f is the utility-best one at λ(f). This needs the
 * router's cost order, so costs here must be the router's predicted costs (same prices and tokens). Pure.
 */
export function utilityQualities(p: readonly number[], cost: readonly number[]): number[] {
  const n = p.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => cost[a]! - cost[b]! || p[b]! - p[a]! || a - b);
  const hull: number[] = [];
  for (const i of order) {
    if (hull.length && p[i]! <= p[hull[hull.length - 1]!]!) continue;
    while (hull.length >= 2) {
      const a = hull[hull.length - 2]!;
      const b = hull[hull.length - 1]!;
      if ((p[b]! - p[a]!) * (cost[i]! - cost[a]!) <= (p[i]! - p[a]!) * (cost[b]! - cost[a]!)) hull.pop();
      else break;
    }
    hull.push(i);
  }
  const cMax = Math.max(1e-12, ...cost);
  const q = new Array<number>(n).fill(0);
  hull.forEach((h, k) => {
    const next = hull[k + 1];
    if (next === undefined) q[h] = 1;
    else {
      const dc = cost[next]! - cost[h]!;
      const slope = dc > 0 ? (p[next]! - p[h]!) / dc : Number.POSITIVE_INFINITY;
      q[h] = 1 / (1 + slope * cMax);
    }
  });
  return q;
}
