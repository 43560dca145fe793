/**
 * Out-of-fold calibration data of a learned classifier. `tollgate train` splits the training rows into
 * `folds` groups (whole MMLU subjects when the data has a `subject` column, else random rows), fits the
 * selected method with its chosen hyper-parameters on every group but one and predicts the one left
 * out. Every training row thus gets a prediction from a model that never saw it (nor, with subject
 * folds, its topic) — what the deployed classifier will output for new traffic. `calibration.json`
 * stores these predictions:
 * - `tollgate tune --data` on the classifier's own training file replays them instead of in-sample
 *   predictions (a kNN's nearest neighbour of a training row is the row itself: in-sample predictions
 *   are nearly the labels, and a floor tuned on them misses on new traffic);
 * - the `traffic-rank` quality scale seeds its window of recent predictions with them.
 * Deterministic in the seed. Pure apart from reading the file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClassifierArtifactError } from '../../../engine/routing-eval/errors.js';
import type { LabeledData } from '../../../engine/routing-eval/labeled-csv.js';
import { type ArtifactManifest, sha256, stableStringify } from './artifact.js';
import { seededShuffle } from './validation.js';

export const CALIBRATION_FILE = 'calibration.json';

export interface CalibrationData {
  folds: number;
  by: 'subject' | 'random';
  /** Out-of-fold probabilities, one row per training row, columns in the manifest's model order. */
  probabilities: number[][];
}

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

/** The content hash of labeled data as `train` records it (`training.dataSha256`), labels in `models` order. */
export function labeledDataSha256(data: LabeledData, models: readonly string[]): string | undefined {
  if (data.rows.some((r) => models.some((m) => r.scores[m] === undefined))) return undefined;
  return sha256(stableStringify(data.rows.map((r) => [r.prompt, models.map((m) => r.scores[m]!)])));
}

/** Reads the artefact's calibration file (its hash was already checked with the manifest), or undefined for an artefact without one. */
export function readCalibration(dir: string, m: ArtifactManifest): CalibrationData | undefined {
  if (!m.files[CALIBRATION_FILE]) return undefined;
  const c = JSON.parse(readFileSync(join(dir, CALIBRATION_FILE), 'utf8')) as CalibrationData;
  if (c.probabilities?.length !== m.training.rows || c.probabilities.some((p) => p?.length !== m.models.length)) {
    throw new ClassifierArtifactError(dir, `${CALIBRATION_FILE} does not match the manifest's rows/models`);
  }
  return c;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
