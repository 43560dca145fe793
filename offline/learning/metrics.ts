/**
 * RouteLLM's routing metrics over a cost–quality curve, as pure functions.
 *
 * A curve is a set of operating points (share of requests sent to the strong model, mean quality, mean
 * cost). With `qWeak` / `qStrong` the quality of sending everything to the weak / strong model:
 * - PGR (performance gap recovered) at a point = (quality − qWeak) / (qStrong − qWeak).
 * - APGR = area under PGR over strong share ∈ [0, 1] (trapezoids; endpoints (0, qWeak) and (1, qStrong)
 *   added when absent). Random routing is the straight line, APGR 0.5.
 * - CPT(x) = the smallest strong share at which PGR reaches x (linear between points).
 * - strongShareAt95 = the smallest strong share at which quality reaches 0.95 × qStrong.
 */

export interface CurvePoint {
  /** Fraction of requests routed to the strong model, in [0, 1]. */
  strongShare: number;
  /** Mean quality (e.g. accuracy) of the routed answers. */
  quality: number;
  /** Mean cost per request, micro-dollars. */
  cost: number;
  /** The threshold (quality floor) that produced this point, when there is one. */
  threshold?: number;
}

export interface RoutingMetrics {
  qWeak: number;
  qStrong: number;
  apgr: number;
  cpt50: number;
  cpt80: number;
  cpt95: number;
  strongShareAt95: number;
}

/** PGR of one quality value. `qStrong === qWeak` gives 1 (there is no gap to recover). */
export function pgr(quality: number, qWeak: number, qStrong: number): number {
  const gap = qStrong - qWeak;
  return gap === 0 ? 1 : (quality - qWeak) / gap;
}

/** The curve sorted by strong share with the all-weak and all-strong endpoints present. */
export function closeCurve(curve: readonly CurvePoint[], weak: CurvePoint, strong: CurvePoint): CurvePoint[] {
  const pts = [...curve].sort((a, b) => a.strongShare - b.strongShare || a.quality - b.quality);
  if (!pts.length || pts[0]!.strongShare > 0) pts.unshift(weak);
  if (pts[pts.length - 1]!.strongShare < 1) pts.push(strong);
  return pts;
}

/** Area under PGR(strong share) on [0, 1] by trapezoids. `curve` must be closed ({@link closeCurve}). */
export function apgr(curve: readonly CurvePoint[], qWeak: number, qStrong: number): number {
  let area = 0;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1]!;
    const b = curve[i]!;
    area += ((b.strongShare - a.strongShare) * (pgr(a.quality, qWeak, qStrong) + pgr(b.quality, qWeak, qStrong))) / 2;
  }
  return area;
}

/**
 * The smallest strong share at which `value(point)` reaches `target`, interpolating linearly between
 * consecutive points of the (closed, sorted) curve. 1 when it is never reached before the end.
 */
export function firstShareReaching(curve: readonly CurvePoint[], value: (p: CurvePoint) => number, target: number): number {
  const eps = 1e-12;
  if (curve.length && value(curve[0]!) >= target - eps) return curve[0]!.strongShare;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1]!;
    const b = curve[i]!;
    const va = value(a);
    const vb = value(b);
    if (vb >= target - eps) {
      if (vb === va) return b.strongShare;
      const t = Math.min(1, Math.max(0, (target - va) / (vb - va)));
      return a.strongShare + t * (b.strongShare - a.strongShare);
    }
  }
  return 1;
}

/** CPT(x): the strong share needed to reach PGR ≥ x (x in [0, 1], e.g. 0.5). */
export function cpt(curve: readonly CurvePoint[], x: number, qWeak: number, qStrong: number): number {
  return firstShareReaching(curve, (p) => pgr(p.quality, qWeak, qStrong), x);
}

/** All metrics of a closed curve. */
export function routingMetrics(curve: readonly CurvePoint[], qWeak: number, qStrong: number): RoutingMetrics {
  return {
    qWeak,
    qStrong,
    apgr: apgr(curve, qWeak, qStrong),
    cpt50: cpt(curve, 0.5, qWeak, qStrong),
    cpt80: cpt(curve, 0.8, qWeak, qStrong),
    cpt95: cpt(curve, 0.95, qWeak, qStrong),
    strongShareAt95: firstShareReaching(curve, (p) => p.quality, 0.95 * qStrong),
  };
}

/** Random routing: the straight line between the all-weak and all-strong points, sampled at `steps` + 1 shares. */
export function randomCurve(weak: CurvePoint, strong: CurvePoint, steps = 20): CurvePoint[] {
  return Array.from({ length: steps + 1 }, (_, i) => {
    const s = i / steps;
    return { strongShare: s, quality: weak.quality + s * (strong.quality - weak.quality), cost: weak.cost + s * (strong.cost - weak.cost) };
  });
}

/**
 * The curve of a score-ranked router: requests sorted by `score` (higher → strong first), the top k sent
 * to the strong model for every k at a tie-group boundary. `weakQ`/`strongQ` are per-request qualities,
 * `weakCost`/`strongCost` per-request costs (micro-dollars).
 */
export function rankedCurve(score: readonly number[], weakQ: readonly number[], strongQ: readonly number[], weakCost: readonly number[], strongCost: readonly number[]): CurvePoint[] {
  const n = score.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b]! - score[a]! || a - b);
  let q = weakQ.reduce((s, x) => s + x, 0);
  let c = weakCost.reduce((s, x) => s + x, 0);
  const out: CurvePoint[] = [{ strongShare: 0, quality: q / n, cost: c / n }];
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    q += strongQ[i]! - weakQ[i]!;
    c += strongCost[i]! - weakCost[i]!;
    const next = order[k + 1];
    if (next === undefined || score[next] !== score[i]) out.push({ strongShare: (k + 1) / n, quality: q / n, cost: c / n });
  }
  return out;
}

/**
 * ROC AUC of `score` against binary `positive` (ties count one half). 0.5 = no signal. Returns NaN when
 * one class is empty.
 */
export function auc(score: readonly number[], positive: readonly boolean[]): number {
  const idx = score.map((s, i) => ({ s, p: positive[i]! })).sort((a, b) => a.s - b.s);
  let rankSum = 0;
  let nPos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j < idx.length && idx[j]!.s === idx[i]!.s) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (idx[k]!.p) {
      rankSum += avgRank;
      nPos++;
    }
    i = j;
  }
  const nNeg = idx.length - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
