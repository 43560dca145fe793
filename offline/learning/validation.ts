/**
 * Held-out scoring of a quality predictor during training: rank validation prompts by predicted gain
 * (p_strong − p_weak), route the top share to the strong model, and compute RouteLLM's metrics on the
 * actual labels (unit costs: the curve is quality against strong share).
 */
import { auc, closeCurve, rankedCurve, routingMetrics } from './metrics.js';
import type { ValidationMetrics } from '../../index.js';
import { Prng } from '../trace/index.js';

export interface SplitIndices {
  train: number[];
  validation: number[];
  by: 'subject' | 'random';
}

/** A seeded uniform [0, 1) source (the trace tools' mulberry32). */
function rng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.next();
}

/** Fisher–Yates shuffle, seeded. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const a = [...items];
  const r = rng(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/**
 * Train/validation split. With `groups` (e.g. MMLU subjects) whole groups go to validation until it
 * holds ≥ `fraction` of the rows — held-out topics, like the eval file's unseen subjects. Deterministic in `seed`.
 */
export function splitRows(n: number, fraction: number, seed: number, groups?: readonly string[]): SplitIndices {
  const inVal = new Uint8Array(n);
  if (groups && new Set(groups).size >= 3) {
    const order = seededShuffle([...new Set(groups)].sort(), seed);
    const chosen = new Set<string>();
    let count = 0;
    for (const g of order) {
      if (count >= fraction * n) break;
      chosen.add(g);
      count += groups.filter((x) => x === g).length;
    }
    groups.forEach((g, i) => (inVal[i] = chosen.has(g) ? 1 : 0));
  } else {
    for (const i of seededShuffle(Array.from({ length: n }, (_, i) => i), seed).slice(0, Math.max(1, Math.round(fraction * n)))) inVal[i] = 1;
  }
  const train: number[] = [];
  const validation: number[] = [];
  for (let i = 0; i < n; i++) (inVal[i] ? validation : train).push(i);
  return { train, validation, by: groups && new Set(groups).size >= 3 ? 'subject' : 'random' };
}

/** Metrics of predictions `probs[i][model]` on rows with labels `labels[i][model]`. */
export function scorePredictions(probs: readonly number[][], labels: readonly number[][], weak: number, strong: number, params: Record<string, number>): ValidationMetrics {
  const gain = probs.map((p) => p[strong]! - p[weak]!);
  const wq = labels.map((l) => l[weak]!);
  const sq = labels.map((l) => l[strong]!);
  const zeros = wq.map(() => 0);
  const ones = wq.map(() => 1);
  const curve = rankedCurve(gain, wq, sq, zeros, ones);
  const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  const m = routingMetrics(closeCurve(curve, curve[0]!, curve[curve.length - 1]!), mean(wq), mean(sq));
  const r = (x: number) => Math.round(x * 10000) / 10000;
  return {
    apgr: r(m.apgr),
    cpt50: r(m.cpt50),
    cpt80: r(m.cpt80),
    cpt95: r(m.cpt95),
    strongShareAt95: r(m.strongShareAt95),
    gainAuc: r(auc(gain, labels.map((l) => l[strong]! > l[weak]!))),
    params,
  };
}
