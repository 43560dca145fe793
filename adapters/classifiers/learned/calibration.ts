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
import { ClassifierArtifactError } from './artifact-error.js';
import { type ArtifactManifest, sha256, stableStringify } from './artifact.js';

export const CALIBRATION_FILE = 'calibration.json';

export interface CalibrationData {
  folds: number;
  by: 'subject' | 'random';
  /** Out-of-fold probabilities, one row per training row, columns in the manifest's model order. */
  probabilities: number[][];
}

/** The part of a labeled data set the hash reads (structurally `LabeledData` of the offline tools). */
export interface LabeledRows {
  rows: readonly { prompt: string; scores: Readonly<Record<string, number | undefined>> }[];
}

/** The content hash of labeled data as `train` records it (`training.dataSha256`), labels in `models` order. */
export function labeledDataSha256(data: LabeledRows, models: readonly string[]): string | undefined {
  // An empty label cell hashes as null (complete data hashes as it always did).
  return sha256(stableStringify(data.rows.map((r) => [r.prompt, models.map((m) => r.scores[m] ?? null)])));
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
