/**
 * The cost–quality frontier of N-model routing, scored from labels only (pure functions).
 *
 * Inputs are per-prompt matrices: `quality[i][m]` (the label of model m on prompt i, in [0, 1]) and
 * `cost[i][m]` (micro-dollars). A router is a list of operating points, each the model chosen for every
 * prompt. Reference curves:
 * - each single model: one point (its mean cost, mean quality);
 * - random: every prompt sent to a model drawn uniformly (the mean of the single-model points);
 * - zero router (RouterBench): the upper convex hull of the single-model points — any point on it is
 *   reached by sending a fixed share of prompts to one model and the rest to another, with no prompt
 *   information at all; a predictive router is only worth its keep above it;
 * - oracle: per prompt, the model maximising quality − λ·cost, for every λ (the best any router can do).
 * A router's own curve is the hull of its points (mixing two operating points is always possible).
 *
 * `costAt95` = the least mean cost per request at which a curve reaches 95% of the best single model's
 * quality (null when it never does). `aiq` = RouterBench's average quality: the area under the curve's
 * hull over the single models' cost range, divided by the range (flat beyond the hull's ends).
 */

export interface FrontierPoint {
  cost: number;
  quality: number;
}

/** The upper-left frontier: non-dominated, concave, cost ascending. */
export function upperHull(points: readonly FrontierPoint[]): FrontierPoint[] {
  const pts = [...points].sort((a, b) => a.cost - b.cost || b.quality - a.quality);
  const out: FrontierPoint[] = [];
  for (const p of pts) {
    if (out.length && p.quality <= out[out.length - 1]!.quality) continue; // dominated (costs more, no better)
    while (out.length >= 2) {
      const a = out[out.length - 2]!;
      const b = out[out.length - 1]!;
      // b is under the segment a→p: drop it.
      if ((b.quality - a.quality) * (p.cost - a.cost) <= (p.quality - a.quality) * (b.cost - a.cost)) out.pop();
      else break;
    }
    out.push(p);
  }
  return out;
}

/** Least cost at which the hull reaches `target` quality (linear between hull points); null when it never does. */
export function costAtQuality(hull: readonly FrontierPoint[], target: number): number | null {
  const eps = 1e-12;
  if (!hull.length) return null;
  if (hull[0]!.quality >= target - eps) return hull[0]!.cost;
  for (let i = 1; i < hull.length; i++) {
    const a = hull[i - 1]!;
    const b = hull[i]!;
    if (b.quality >= target - eps) return b.quality === a.quality ? b.cost : a.cost + ((target - a.quality) / (b.quality - a.quality)) * (b.cost - a.cost);
  }
  return null;
}

/** Quality of the hull at `cost` (flat beyond its ends). */
export function qualityAtCost(hull: readonly FrontierPoint[], cost: number): number {
  if (!hull.length) return Number.NaN;
  if (cost <= hull[0]!.cost) return hull[0]!.quality;
  for (let i = 1; i < hull.length; i++) {
    const a = hull[i - 1]!;
    const b = hull[i]!;
    if (cost <= b.cost) return a.quality + ((cost - a.cost) / (b.cost - a.cost || 1)) * (b.quality - a.quality);
  }
  return hull[hull.length - 1]!.quality;
}

/** Average quality of the hull over [lo, hi] (exact area of the piecewise-linear curve). */
export function averageQuality(hull: readonly FrontierPoint[], lo: number, hi: number): number {
  if (!(hi > lo)) return qualityAtCost(hull, lo);
  const xs = [lo, ...hull.map((p) => p.cost).filter((c) => c > lo && c < hi), hi];
  let area = 0;
  for (let i = 1; i < xs.length; i++) area += ((xs[i]! - xs[i - 1]!) * (qualityAtCost(hull, xs[i - 1]!) + qualityAtCost(hull, xs[i]!))) / 2;
  return area / (hi - lo);
}

/** Mean quality and cost over `rows` (all rows when omitted) when prompt i goes to `choice[i]`. */
export function pointOf(choice: ArrayLike<number>, quality: readonly (readonly number[])[], cost: readonly (readonly number[])[], rows?: ArrayLike<number>): FrontierPoint {
  let q = 0;
  let c = 0;
  const n = rows ? rows.length : choice.length;
  for (let k = 0; k < n; k++) {
    const i = rows ? rows[k]! : k;
    const m = choice[i]!;
    q += quality[i]![m]!;
    c += cost[i]![m]!;
  }
  return { cost: c / Math.max(1, n), quality: q / Math.max(1, n) };
}

/** The λ values that trace the oracle: 0, a geometric grid over the cost scale, and ∞ (cheapest). */
export function lambdaGrid(cost: readonly (readonly number[])[], steps = 96): number[] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const row of cost) for (const c of row) if (c > 0) (lo = Math.min(lo, c)), (hi = Math.max(hi, c));
  if (!Number.isFinite(lo) || hi <= 0) return [0, Number.POSITIVE_INFINITY];
  const from = 1e-3 / hi;
  const to = 10 / lo;
  return [0, ...Array.from({ length: steps }, (_, s) => from * (to / from) ** (s / (steps - 1))), Number.POSITIVE_INFINITY];
}

/** Per prompt, the model maximising `score[i][m] − λ·cost[i][m]` (ties: cheaper, then first). λ = ∞: the cheapest. */
export function utilityChoice(score: readonly (readonly number[])[], cost: readonly (readonly number[])[], lambda: number, allowed?: readonly number[]): Int32Array {
  const out = new Int32Array(score.length);
  const models = allowed ?? score[0]?.map((_, m) => m) ?? [];
  for (let i = 0; i < score.length; i++) {
    let best = -1;
    let bu = Number.NEGATIVE_INFINITY;
    for (const m of models) {
      const c = cost[i]![m]!;
      const u = lambda === Number.POSITIVE_INFINITY ? -c : score[i]![m]! - lambda * c;
      if (best < 0 || u > bu + 1e-15 || (Math.abs(u - bu) <= 1e-15 && c < cost[i]![best]!)) (best = m), (bu = u);
    }
    out[i] = best;
  }
  return out;
}

/** The oracle's operating points (labels as the score). */
export function oracleChoices(quality: readonly (readonly number[])[], cost: readonly (readonly number[])[]): Int32Array[] {
  return lambdaGrid(cost).map((l) => utilityChoice(quality, cost, l));
}

export interface CurveFigures {
  hull: FrontierPoint[];
  /** Best quality on the curve, and its least cost. */
  maxQuality: number;
  costAt95: number | null;
  aiq: number;
}

/** Figures of a set of points given the reference `target` quality and the cost range [lo, hi]. */
export function curveFigures(points: readonly FrontierPoint[], target: number, lo: number, hi: number): CurveFigures {
  const hull = upperHull(points);
  return { hull, maxQuality: hull.length ? hull[hull.length - 1]!.quality : Number.NaN, costAt95: costAtQuality(hull, target), aiq: averageQuality(hull, lo, hi) };
}
