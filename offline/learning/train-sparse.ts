/**
 * Trains a learned-classifier artefact from sparse labels — rows where only some models were scored,
 * as production gives them (one answer per request: offline/learning/log-training.ts). Logistic heads
 * only (a kNN artefact stores a full label matrix): each model's head is fitted on the rows that model
 * answered, never on filled-in cells. The text view (whole prompt, or the tail when prompts are long),
 * the prompt features (with or without) and the L2 strength are chosen by out-of-fold quality of the
 * predictions on the labelled cells — the Brier skill against each fold's per-model prior (1 − Brier ÷
 * the prior's; 0 = no better than the prior) — never by training fit. The winner is refitted on all rows
 * and written as a versioned artefact like `trainClassifier`'s, with its out-of-fold predictions as the
 * calibration data and each model's mean logged cost. Deterministic in `seed`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Embedder } from '../../embeddings/index.js';
import { ARTIFACT_FORMAT, type ArtifactManifest, CALIBRATION_FILE, countTokens, DEFAULT_TAIL_CHARS, featureNames, FEATURES_V1, labeledDataSha256, manifestVersion, promptFeatures, RulesClassifier, sha256, type TextView, type ValidationMetrics, viewText, withFeatures } from '../../index.js';
import { HEAD_FILE } from '../../adapters/classifiers/index.js';
import { RoutingDataError } from './errors.js';
import { foldOf } from './folds.js';
import type { LabeledData } from './labeled-csv.js';
import { fitLogReg, gramMatrix, type LogRegModel, predictLogReg } from './logreg.js';

export interface SparseTrainOptions {
  data: LabeledData;
  outDir: string;
  embedder: Embedder;
  seed?: number;
  /** Folds of the out-of-fold selection (default 5, fewer when there are fewer rows). */
  folds?: number;
  /** L2 grid (default {3e-3, 3e-2, 3e-1}). */
  logregL2?: number[];
  /** Also try the embedding + prompt features (default true). */
  features?: boolean;
  /** What the manifest says the rows came from (e.g. the log's path). */
  source?: string;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const logit = (p: number) => Math.log(Math.max(1e-6, Math.min(1 - 1e-6, p)) / (1 - Math.max(1e-6, Math.min(1 - 1e-6, p))));

/** Brier skill of `probs` on the labelled cells against `prior` (1 − Brier ÷ the prior's Brier). */
export function brierSkill(probs: readonly (readonly number[])[], labels: readonly (readonly (number | undefined)[])[], prior: (row: number, j: number) => number): { skill: number; brier: number; cells: number } {
  let se = 0;
  let sp = 0;
  let cells = 0;
  labels.forEach((row, i) =>
    row.forEach((y, j) => {
      if (y === undefined) return;
      se += (probs[i]![j]! - y) ** 2;
      sp += (prior(i, j) - y) ** 2;
      cells++;
    }),
  );
  return { skill: sp > 0 ? 1 - se / sp : 0, brier: cells ? se / cells : 0, cells };
}

export async function trainSparseClassifier(o: SparseTrainOptions): Promise<ArtifactManifest> {
  const { data, embedder } = o;
  const seed = o.seed ?? 1;
  const n = data.rows.length;
  const M = data.models.length;
  if (n < 2 || M < 1) throw new RoutingDataError(data.file, `too few labelled rows to train on (${n} rows, ${M} models)`);
  const labels = data.rows.map((r) => data.models.map((m) => r.scores[m]));
  const meanOf = (rows: readonly number[], j: number, fallback: number) => {
    let s = 0;
    let c = 0;
    for (const i of rows) if (labels[i]![j] !== undefined) (s += labels[i]![j]!), c++;
    return c ? s / c : fallback;
  };
  const all = labels.map((_, i) => i);
  const priors = data.models.map((_, j) => round6(meanOf(all, j, 0.5)));
  const prompts = data.rows.map((r) => r.prompt);
  const views: TextView[] = prompts.some((p) => p.length > DEFAULT_TAIL_CHARS) ? [{ kind: 'full' }, { kind: 'tail', chars: DEFAULT_TAIL_CHARS }] : [{ kind: 'full' }];
  const viewName = (v: TextView) => (v.kind === 'full' ? 'full' : `tail${v.chars ?? DEFAULT_TAIL_CHARS}`);
  const rules = new RulesClassifier();
  const feats = data.rows.map((r) => {
    const tokens = countTokens(r.prompt);
    const c = rules.classify({ request: { tenant: 'train', messages: [{ role: 'user', content: r.prompt }] } as never, text: r.prompt, promptTokens: tokens }, []);
    return promptFeatures(r.prompt, tokens, r.turns ?? 1, c);
  });
  const inputs = new Map<string, Float32Array[]>();
  for (const view of views) {
    const vectors = await embedder.embed(prompts.map((p) => viewText(p, view)));
    inputs.set(`${viewName(view)}/0`, vectors);
    if (o.features !== false) inputs.set(`${viewName(view)}/1`, vectors.map((v, i) => withFeatures(v, feats[i]!)));
  }
  /** One head per model, each fitted on the `rows` that model answered (a constant head at the prior where it answered none). */
  const fitHeads = (xs: Float32Array[], rows: readonly number[], l2: number): LogRegModel[] =>
    data.models.map((_, j) => {
      const mine = rows.filter((i) => labels[i]![j] !== undefined);
      if (!mine.length) return { weights: new Float64Array(xs[0]!.length), bias: logit(priors[j]!) };
      return fitLogReg(mine.map((i) => xs[i]!), mine.map((i) => labels[i]![j]!), { l2, gram: gramMatrix(mine.map((i) => xs[i]!)) });
    });
  const folds = Math.max(2, Math.min(o.folds ?? 5, n));
  const { fold, by } = foldOf(n, folds, seed);
  const grid = o.logregL2 ?? [3e-3, 3e-2, 3e-1];
  const candidates: (ValidationMetrics & { probs: number[][]; key: string })[] = [];
  for (const [key, xs] of inputs) {
    for (const l2 of grid) {
      const probs = new Array<number[]>(n);
      const foldPrior = new Array<number[]>(n);
      for (let f = 0; f < folds; f++) {
        const fit = all.filter((i) => fold[i] !== f);
        const held = all.filter((i) => fold[i] === f);
        if (!fit.length || !held.length) continue;
        const heads = fitHeads(xs, fit, l2);
        const p = data.models.map((_, j) => meanOf(fit, j, priors[j]!));
        for (const i of held) (probs[i] = heads.map((h) => predictLogReg(h, xs[i]!))), (foldPrior[i] = p);
      }
      const s = brierSkill(probs, labels, (i, j) => foldPrior[i]![j]!);
      const [view, withF] = key.split('/');
      candidates.push({ apgr: Number.NaN, cpt50: Number.NaN, cpt80: Number.NaN, cpt95: Number.NaN, strongShareAt95: Number.NaN, gainAuc: Number.NaN, params: { l2, features: Number(withF) }, score: round6(s.skill), brier: round6(s.brier), view, probs, key });
    }
  }
  const best = candidates.reduce((a, b) => (b.score! > a.score! ? b : a));
  const bestView = views.find((v) => viewName(v) === best.view)!;
  const xs = inputs.get(best.key)!;
  const heads = fitHeads(xs, all, best.params.l2!);
  rmSync(o.outDir, { recursive: true, force: true });
  mkdirSync(o.outDir, { recursive: true });
  const files: Record<string, string> = {};
  const calibrationJson = `${JSON.stringify({ folds, by, probabilities: best.probs.map((p) => p.map(round6)) })}\n`;
  writeFileSync(join(o.outDir, CALIBRATION_FILE), calibrationJson);
  files[CALIBRATION_FILE] = sha256(calibrationJson);
  const { buildLogRegOnnx } = await import('./logreg-onnx.js');
  const bytes = buildLogRegOnnx(heads, xs[0]!.length, { models: JSON.stringify(data.models), embedder: `${embedder.modelId}@${embedder.modelVersion}` });
  writeFileSync(join(o.outDir, HEAD_FILE), bytes);
  files[HEAD_FILE] = sha256(bytes);
  const strip = ({ probs: _p, key: _k, ...m }: (typeof candidates)[number]): ValidationMetrics => m;
  const costs = data.models.map((m) => {
    const xs = data.rows.map((r) => r.costs?.[m]).filter((c): c is number => c !== undefined);
    return xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : 0;
  });
  const body: Omit<ArtifactManifest, 'version'> = {
    format: ARTIFACT_FORMAT,
    method: 'logreg',
    qualityMode: 'relative',
    embedder: { modelId: embedder.modelId, modelVersion: embedder.modelVersion, dimension: embedder.dimension },
    models: data.models,
    priors,
    ...(bestView.kind === 'tail' ? { textView: bestView } : {}),
    ...(best.params.features === 1 ? { features: { version: FEATURES_V1, names: featureNames() } } : {}),
    ...(data.rows.every((r) => r.costs) ? { costs } : {}),
    logreg: { l2: best.params.l2! },
    calibration: { folds, by },
    training: { seed, rows: n, validationRows: n, split: by, dataSha256: labeledDataSha256(data, data.models)! },
    metrics: {
      validation: { logreg: strip(best) },
      selected: 'logreg',
      selectedBy: `out-of-fold Brier skill on the labelled cells against each fold's prior (higher wins; sparse labels${o.source ? ` from ${o.source}` : ''}: each row scores only the model that answered it)`,
      candidates: candidates.map(strip),
    },
    files,
  };
  const manifest = { ...body, version: manifestVersion(body) } as ArtifactManifest;
  writeFileSync(join(o.outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
