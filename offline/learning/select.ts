/**
 * Held-out scoring of per-model success predictions during training, for any number of models.
 * - Two models: RouteLLM's metrics of the gain ranking (p_strong − p_weak), APGR the score
 *   ({@link scorePredictions}).
 * - More: the utility router the `utility` scale runs (per prompt, argmax p − λ·cost with costs
 *   normalised by the prompt's dearest model, every λ) scored on the held-out labels and real costs:
 *   its AIQ against the zero router's and the oracle's on the same rows; the score is the share of the
 *   zero-router → oracle AIQ gap it recovers (0 = no better than mixing single models).
 * Costs: the data's real costs when it has them, else a stand-in that orders models by prior success
 * (1, 2, …, M in increasing prior), stated in the manifest.
 */
import type { ValidationMetrics } from '../../index.js';
import { curveFigures, lambdaGrid, oracleChoices, pointOf, utilityChoice } from './frontier.js';
import { scorePredictions } from './validation.js';

/** Costs of the rows (micro-dollars), from the data or the prior-rank stand-in. */
export function costMatrix(rows: readonly { costs?: Record<string, number> }[], models: readonly string[], priors: readonly number[]): { cost: number[][]; source: 'data' | 'prior-rank' } {
  const has = rows.length > 0 && rows.every((r) => models.every((m) => r.costs?.[m] !== undefined));
  if (has) return { cost: rows.map((r) => models.map((m) => r.costs![m]!)), source: 'data' };
  const rank = priors.map((p, j) => priors.filter((q, k) => q < p || (q === p && k < j)).length + 1);
  return { cost: rows.map(() => [...rank]), source: 'prior-rank' };
}

/** Per row, costs divided by the row's dearest (what the utility scale sees). */
export const normalisedCosts = (cost: readonly (readonly number[])[]): number[][] =>
  cost.map((row) => {
    const max = Math.max(1e-12, ...row);
    return row.map((c) => c / max);
  });

export function scoreRouting(probs: readonly number[][], labels: readonly number[][], cost: readonly number[][], weak: number, strong: number, params: Record<string, number>): ValidationMetrics {
  if (labels[0]!.length === 2) {
    const m = scorePredictions(probs, labels, weak, strong, params);
    return { ...m, score: m.apgr };
  }
  const pair = scorePredictions(probs, labels, weak, strong, params);
  const norm = normalisedCosts(cost);
  const grid = lambdaGrid(norm, 64);
  const router = grid.map((l) => pointOf(utilityChoice(probs, norm, l), labels, cost));
  const M = labels[0]!.length;
  const singles = Array.from({ length: M }, (_, m) => pointOf(new Int32Array(labels.length).fill(m), labels, cost));
  const best = Math.max(...singles.map((p) => p.quality));
  const lo = Math.min(...singles.map((p) => p.cost));
  const hi = Math.max(...singles.map((p) => p.cost));
  const fig = (pts: { cost: number; quality: number }[]) => curveFigures(pts, 0.95 * best, lo, hi);
  const r = fig(router);
  const z = fig(singles);
  const o = fig(oracleChoices(labels, cost).map((ch) => pointOf(ch, labels, cost)));
  const gap = o.aiq - z.aiq;
  const round = (x: number) => Math.round(x * 10000) / 10000;
  return { ...pair, aiq: round(r.aiq), zeroAiq: round(z.aiq), oracleAiq: round(o.aiq), score: round(gap > 0 ? (r.aiq - z.aiq) / gap : 0) };
}
