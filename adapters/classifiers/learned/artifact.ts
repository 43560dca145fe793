/**
 * The versioned artefact directory written by `tollgate train` and referenced by a policy's
 * `classifier.artifact`: `manifest.json` plus the method's files (`head.onnx` for logreg;
 * `knn.lance/` + `knn-labels.json` for kNN; `calibration.json`, out-of-fold predictions for every training row). `version` is a content hash: sha256 of the manifest's
 * other fields, which include the sha256 of every file and of the kNN vectors — same data, options
 * and seed → same version. Reading checks format, version and file hashes and throws
 * {@link ClassifierArtifactError}, so a corrupt artefact fails at load, never at routing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClassifierArtifactError } from './artifact-error.js';
import type { KnnParams } from './knn.js';
import type { OutputLengthModelData } from './output-length.js';
import type { TextView } from './text-view.js';

export const ARTIFACT_FORMAT = 'tollgate-classifier@1';
export type LearnedMethod = 'knn' | 'logreg';

/** Held-out (validation split of the training data) results of one method. */
export interface ValidationMetrics {
  apgr: number;
  cpt50: number;
  cpt80: number;
  cpt95: number;
  strongShareAt95: number;
  /** AUC of predicted strong-minus-weak gain against actual gain > 0. */
  gainAuc: number;
  /** Chosen hyper-parameters. */
  params: Record<string, number>;
  /** N-model data: AIQ of the utility router on the held-out rows, and of the zero router and the oracle there. */
  aiq?: number;
  zeroAiq?: number;
  oracleAiq?: number;
  /** The number the methods were compared by (APGR for two models, else the share of the zero-router → oracle AIQ gap recovered). */
  score?: number;
  /** Text view the figures were measured with. */
  view?: string;
  /** Sparse (log) training: out-of-fold Brier score on the labelled cells (`score` is then the Brier skill against the prior). */
  brier?: number;
}

export interface ArtifactManifest {
  format: typeof ARTIFACT_FORMAT;
  version: string;
  method: LearnedMethod;
  /**
   * How probabilities become `Classification.quality`: `relative` (default) = the probability that the
   * model's answer is as good as the best model's, 1 − max(0, p_best − p_model); `absolute` = p_model.
   */
  qualityMode: 'relative' | 'absolute';
  embedder: { modelId: string; modelVersion: string; dimension: number };
  /** Model ids (the data's column names), in label order. */
  models: string[];
  /** Each model's success rate on the training data. */
  priors: number[];
  /** What part of each prompt is embedded (absent: the whole prompt). */
  textView?: TextView;
  /** Prompt features appended to the embedding for the logreg heads (learned/features.ts); absent: none. */
  features?: { version: string; names: string[] };
  /** Each model's mean real cost per request in the training data (micro-dollars), when it had cost columns. */
  costs?: number[];
  knn?: KnnParams & { rows: number; namespace: string; vectorsSha256: string };
  logreg?: { l2: number };
  outputLength?: OutputLengthModelData;
  /** Out-of-fold predictions for every training row, in `calibration.json` (artefacts trained before it lack both). */
  calibration?: { folds: number; by: 'subject' | 'random' };
  training: { seed: number; rows: number; validationRows: number; split: 'subject' | 'random'; dataSha256: string };
  metrics: { validation: Partial<Record<LearnedMethod, ValidationMetrics>>; selected: LearnedMethod; selectedBy: string; candidates?: ValidationMetrics[] };
  /** sha256 of each file of the artefact (relative name → hex). */
  files: Record<string, string>;
}

export const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** JSON with object keys sorted at every level (the hashed form). */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The content version of a manifest (its `version` field excluded). */
export function manifestVersion(m: Omit<ArtifactManifest, 'version'> & { version?: string }): string {
  const { version: _ignored, ...rest } = m;
  return sha256(stableStringify(rest)).slice(0, 16);
}

/** Reads and verifies `dir/manifest.json` and the files it lists. */
export function readManifest(dir: string): ArtifactManifest {
  let m: ArtifactManifest;
  try {
    m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ArtifactManifest;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ClassifierArtifactError(dir, code === 'ENOENT' ? 'manifest.json not found' : `manifest.json unreadable (${(err as Error).message})`);
  }
  if (m?.format !== ARTIFACT_FORMAT) throw new ClassifierArtifactError(dir, `unknown format ${JSON.stringify(m?.format)} (expected ${ARTIFACT_FORMAT})`);
  if (m.method !== 'knn' && m.method !== 'logreg') throw new ClassifierArtifactError(dir, `unknown method ${JSON.stringify(m.method)}`);
  if (!Array.isArray(m.models) || m.models.length < 1 || m.priors?.length !== m.models.length) throw new ClassifierArtifactError(dir, 'models/priors missing or of different lengths');
  if (manifestVersion(m) !== m.version) throw new ClassifierArtifactError(dir, `manifest content does not match its version ${m.version} (edited or corrupt)`, { version: m.version });
  for (const [name, hash] of Object.entries(m.files ?? {})) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, name));
    } catch {
      throw new ClassifierArtifactError(dir, `file ${name} listed in the manifest is missing`, { file: name });
    }
    if (sha256(bytes) !== hash) throw new ClassifierArtifactError(dir, `file ${name} does not match its sha256 in the manifest (corrupt)`, { file: name });
  }
  return m;
}
