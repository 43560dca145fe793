/** Fold assignment and out-of-fold prediction for `tollgate train`'s calibration data (see adapters/classifiers/learned/calibration.ts). */
import type { CalibrationData } from '../../index.js';
import { seededShuffle } from './validation.js';

/** Fits on `fit` rows and predicts `predict` rows (probabilities per model, manifest order). */
export type FitPredict = (fit: readonly number[], predict: readonly number[]) => number[][];

/** Fold of each row: whole groups (subjects) dealt round-robin in seeded order when there are ≥ `folds` groups, else seeded rows. */
export function foldOf(n: number, folds: number, seed: number, groups?: readonly string[]): { fold: Int32Array; by: 'subject' | 'random' } {
  const fold = new Int32Array(n);
  const distinct = groups ? [...new Set(groups)].sort() : [];
  if (groups && distinct.length >= folds) {
    const of = new Map(seededShuffle(distinct, seed).map((g, i) => [g, i % folds]));
    groups.forEach((g, i) => (fold[i] = of.get(g)!));
    return { fold, by: 'subject' };
  }
  seededShuffle(Array.from({ length: n }, (_, i) => i), seed).forEach((row, i) => (fold[row] = i % folds));
  return { fold, by: 'random' };
}

/** Out-of-fold predictions for all `n` rows. */
export function outOfFold(n: number, folds: number, seed: number, fitPredict: FitPredict, groups?: readonly string[]): CalibrationData {
  const { fold, by } = foldOf(n, folds, seed, groups);
  const probabilities: number[][] = new Array(n);
  for (let f = 0; f < folds; f++) {
    const fit: number[] = [];
    const held: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? held : fit).push(i);
    if (!held.length || !fit.length) continue;
    fitPredict(fit, held).forEach((p, k) => (probabilities[held[k]!] = p.map(round6)));
  }
  return { folds, by, probabilities };
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
