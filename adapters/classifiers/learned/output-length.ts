/**
 * Output-length prediction per task, learned from a decision log: for each task, the median and p95 of
 * the actual output tokens of answered requests (and how the v1 prediction compared). The median feeds
 * the predicted cost; the p95 the budget reservation. Tasks with fewer than `minSamples` observations
 * keep the caller's default.
 */
import type { DecisionRecord } from '../../../engine/decision-record.js';

export interface OutputLengthObservation {
  task: string;
  /** What the classifier predicted at decision time. */
  predicted: number;
  /** What the model actually produced. */
  actual: number;
}

export interface TaskLength {
  n: number;
  median: number;
  p95: number;
  /** Median of actual / predicted (1 = the old prediction was right on the median). */
  ratio: number;
}

export interface OutputLengthModelData {
  v: 1;
  minSamples: number;
  byTask: Record<string, TaskLength>;
}

/** Quantile q of sorted values (nearest rank, ceil(q·n)-th smallest). */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Fits per-task quantiles. Pure and order-independent. */
export function fitOutputLength(obs: readonly OutputLengthObservation[], minSamples = 20): OutputLengthModelData {
  const groups = new Map<string, OutputLengthObservation[]>();
  for (const o of obs) {
    if (!(o.actual >= 0) || !(o.predicted > 0)) continue;
    groups.set(o.task, [...(groups.get(o.task) ?? []), o]);
  }
  const byTask: Record<string, TaskLength> = {};
  for (const task of [...groups.keys()].sort()) {
    const g = groups.get(task)!;
    const actual = g.map((o) => o.actual).sort((a, b) => a - b);
    const ratios = g.map((o) => o.actual / o.predicted).sort((a, b) => a - b);
    byTask[task] = { n: g.length, median: quantile(actual, 0.5), p95: quantile(actual, 0.95), ratio: Math.round(quantile(ratios, 0.5) * 1000) / 1000 };
  }
  return { v: 1, minSamples, byTask };
}

/** Observations from decision-log records: answered (`ok`, not cached) requests with a classification. */
export function observationsFromLog(records: Iterable<DecisionRecord>): OutputLengthObservation[] {
  const out: OutputLengthObservation[] = [];
  for (const r of records) {
    if (r.outcome !== 'ok' || r.cache?.hit || !r.classification) continue;
    out.push({ task: r.classification.task, predicted: r.classification.predictedOutputTokens, actual: r.tokens.output });
  }
  return out;
}

/** Predicts output tokens for a task from a fitted model, falling back to `fallback` for thin tasks. */
export class OutputLengthModel {
  constructor(readonly data: OutputLengthModelData) {}

  predict(task: string, fallback: { predicted: number; upper: number }): { predicted: number; upper: number } {
    const t = this.data.byTask[task];
    if (!t || t.n < this.data.minSamples) return fallback;
    const predicted = Math.max(1, Math.round(t.median));
    return { predicted, upper: Math.max(predicted, Math.round(t.p95)) };
  }
}
