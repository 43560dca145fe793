/**
 * Trains a learned classifier artefact from labeled routing data with any number of models (see
 * `tollgate train`): embeds every prompt (whole, and its tail when prompts are long: see
 * learned/text-view.ts), cuts the rows into folds (whole subjects/tasks when there are ≥ 5), and chooses
 * the text view, the method (kNN: k; logreg: L2 strength, with or without prompt features) and its
 * hyper-parameters by out-of-fold routing quality over all rows (select.ts: APGR for two models, else
 * the share of the zero-router → oracle gap recovered by the utility router) — never by training fit.
 * The winner's out-of-fold predictions are stored as the calibration data. All candidates are
 * reported in the manifest. The winner is refitted on all rows and written as the versioned artefact
 * directory, with the models' mean training costs when the data has cost columns. Empty label cells are
 * filled with the model's mean (prior). Deterministic in `seed` (split) — no other randomness is used.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Embedder } from '../../embeddings/index.js';
import { LanceDbStore } from '../../embeddings/index.js';
import type { LabeledData } from './labeled-csv.js';
import { ARTIFACT_FORMAT, type ArtifactManifest, type LearnedMethod, manifestVersion, sha256, stableStringify, type ValidationMetrics } from '../../index.js';
import { DEFAULT_KNN, knnEstimate, type KnnParams, type Neighbour, packRows, topKNeighbours } from '../../index.js';
import { fitLogReg, gramMatrix, type LogRegModel, predictLogReg } from './logreg.js';
import type { OutputLengthModelData } from '../../index.js';
import { HEAD_FILE, KNN_DIR, KNN_LABELS, KNN_TENANT } from '../../adapters/classifiers/index.js';
import { CALIBRATION_FILE, labeledDataSha256 } from '../../index.js';
import { foldOf } from './folds.js';
import { costMatrix, scoreRouting } from './select.js';
import { featureNames, FEATURES_V1, promptFeatures, withFeatures } from '../../index.js';
import { RulesClassifier } from '../../index.js';
import { countTokens } from '../../index.js';
import { DEFAULT_TAIL_CHARS, type TextView, viewText } from '../../index.js';

export interface TrainOptions {
  data: LabeledData;
  outDir: string;
  embedder: Embedder;
  method?: LearnedMethod | 'both';
  seed?: number;
  /** Unused since selection became out-of-fold (kept so callers compile). */
  validationFraction?: number;
  /** Per-task output-length model (from a decision log) to store in the artefact. */
  outputLength?: OutputLengthModelData;
  /** Folds of the out-of-fold calibration predictions (`calibration.json`). Default 5. */
  calibrationFolds?: number;
  /** Hyper-parameter grids (defaults: k ∈ {10, 30, 100, 200}; λ ∈ {3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1}). */
  knnK?: number[];
  logregL2?: number[];
  /** Logistic regression: also try the embedding + prompt features (learned/features.ts). Default true. */
  features?: boolean;
  /** Text views to choose from (default: whole prompt, and the tail when some prompt is longer than {@link DEFAULT_TAIL_CHARS}). */
  views?: TextView[];
  onProgress?: (phase: string, done: number, total: number) => void;
}

const BATCH = 512;

export async function trainClassifier(o: TrainOptions): Promise<ArtifactManifest> {
  const { data, embedder } = o;
  const seed = o.seed ?? 1;
  const progress = o.onProgress ?? (() => undefined);
  const prompts = data.rows.map((r) => r.prompt);
  const views: TextView[] = o.views ?? (prompts.some((p) => p.length > DEFAULT_TAIL_CHARS) ? [{ kind: 'full' }, { kind: 'tail', chars: DEFAULT_TAIL_CHARS }] : [{ kind: 'full' }]);
  const embedded = new Map<string, Float32Array[]>();
  const viewName = (v: TextView) => (v.kind === 'full' ? 'full' : `tail${v.chars ?? DEFAULT_TAIL_CHARS}`);
  for (const view of views) {
    const vectors: Float32Array[] = [];
    // Large calls: the embedder sorts each call's texts by length, so big calls pad least.
    for (let i = 0; i < prompts.length; i += BATCH) {
      vectors.push(...(await embedder.embed(prompts.slice(i, i + BATCH).map((p) => viewText(p, view)))));
      progress(`embed ${viewName(view)}`, Math.min(prompts.length, i + BATCH), prompts.length);
    }
    embedded.set(viewName(view), vectors);
  }
  // Empty label cells: the model's mean over its labeled rows (the prior).
  const means = data.models.map((m) => {
    const xs = data.rows.map((r) => r.scores[m]).filter((x): x is number => x !== undefined);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
  });
  const labels = data.rows.map((r) => data.models.map((m, j) => r.scores[m] ?? means[j]!));
  const priorsOf = (rows: readonly number[]) => data.models.map((_, j) => rows.reduce((s, i) => s + labels[i]![j]!, 0) / rows.length);
  const all = labels.map((_, i) => i);
  const priors = priorsOf(all).map(round6);
  const weak = priors.indexOf(Math.min(...priors));
  const strong = priors.lastIndexOf(Math.max(...priors));
  const { cost, source: costSource } = costMatrix(data.rows, data.models, priors);
  const groupsOf = (key: string) => (data.rows.every((r) => r.meta[key] !== undefined && r.meta[key] !== '') ? data.rows.map((r) => r.meta[key]!) : undefined);
  const groupCandidates = [groupsOf('subject'), groupsOf('task'), groupsOf('eval_name'), groupsOf('category')];
  // Whole groups are held out only when there are enough of them to leave a representative remainder.
  const subjects = groupCandidates.find((g) => g && new Set(g).size >= 5);
  const methods: LearnedMethod[] = o.method === 'knn' ? ['knn'] : o.method === 'logreg' ? ['logreg'] : ['knn', 'logreg'];
  // Selection is out-of-fold: every candidate (view × method × hyper-parameters) predicts every training
  // row from a model fitted on the other folds (whole subjects/tasks when there are ≥ 5), and is scored
  // on all rows. The winner's out-of-fold predictions are the calibration data.
  const folds = o.calibrationFolds ?? 5;
  const { fold, by } = foldOf(data.rows.length, folds, seed, subjects);
  const foldRows = Array.from({ length: folds }, (_, f) => {
    const fit: number[] = [];
    const held: number[] = [];
    fold.forEach((x, i) => (x === f ? held : fit).push(i));
    return { fit, held };
  }).filter((x) => x.fit.length && x.held.length);
  const split = { validation: all, by };
  const validation: Partial<Record<LearnedMethod, ValidationMetrics>> = {};
  const candidates: ValidationMetrics[] = [];
  const oofOf = new Map<ValidationMetrics, number[][]>();
  let bestView = views[0]!;
  const consider = (method: LearnedMethod, view: TextView, probs: number[][], params: Record<string, number>) => {
    const m = { ...scoreRouting(probs, labels, cost, weak, strong, params), view: viewName(view) };
    candidates.push({ ...m, params: { ...m.params } });
    oofOf.set(m, probs);
    const cur = validation[method];
    if (!cur || m.score! > cur.score!) validation[method] = m;
  };
  /** kNN fitted on `rows`: their vectors packed once, their labels and priors. */
  const knnFit = (vectors: Float32Array[], rows: readonly number[]) => {
    const matrix = packRows(rows.map((i) => vectors[i]!), embedder.dimension);
    const fitLabels = rows.map((i) => labels[i]!);
    const fitPriors = priorsOf(rows);
    return {
      neighbours: (row: number, k: number) => topKNeighbours(vectors[row]!, matrix, embedder.dimension, k),
      estimate: (neighbours: Neighbour[], params: KnnParams) => knnEstimate(neighbours, fitLabels, fitPriors, params),
    };
  };
  /** Logistic-regression heads (one per model) fitted on `rows`; `gram` may be shared across L2 strengths. */
  const fitHeads = (vectors: Float32Array[], rows: readonly number[], l2: number, gram = gramMatrix(rows.map((i) => vectors[i]!))): LogRegModel[] =>
    data.models.map((_, j) => fitLogReg(rows.map((i) => vectors[i]!), rows.map((i) => labels[i]![j]!), { l2, gram }));
  // Prompt features (length, rules task/complexity, code/math markers, turns), for the logreg heads.
  const rules = new RulesClassifier();
  const feats = o.features === false || !methods.includes('logreg')
    ? undefined
    : data.rows.map((r) => {
        const tokens = countTokens(r.prompt);
        const c = rules.classify({ request: { tenant: 'train', messages: [{ role: 'user', content: r.prompt }] } as never, text: r.prompt, promptTokens: tokens }, []);
        return promptFeatures(r.prompt, tokens, r.turns ?? 1, c);
      });
  const augmentedCache = new Map<string, Float32Array[]>();
  const augmented = (name: string) => {
    let a = augmentedCache.get(name);
    if (!a) augmentedCache.set(name, (a = embedded.get(name)!.map((v, i) => withFeatures(v, feats![i]!))));
    return a;
  };
  const n = data.rows.length;
  const minFit = Math.min(...foldRows.map((f) => f.fit.length));
  for (const view of views) {
    const vectors = embedded.get(viewName(view))!;
    if (methods.includes('knn')) {
      const grid = (o.knnK ?? [10, 30, 100, 200]).filter((k, _, a) => k <= Math.max(a[0]!, minFit / 4));
      const kMax = Math.max(...grid);
      const probs = grid.map(() => new Array<number[]>(n));
      for (const [f, { fit, held }] of foldRows.entries()) {
        const fitted = knnFit(vectors, fit);
        for (const i of held) {
          const nb = fitted.neighbours(i, kMax);
          grid.forEach((k, g) => (probs[g]![i] = fitted.estimate(nb.slice(0, k), { ...DEFAULT_KNN, k })));
        }
        progress(`tune knn ${viewName(view)}`, f + 1, foldRows.length);
      }
      grid.forEach((k, g) => consider('knn', view, probs[g]!, { k, temperature: DEFAULT_KNN.temperature, smoothing: DEFAULT_KNN.smoothing }));
    }
    if (methods.includes('logreg')) {
      const grid = o.logregL2 ?? [3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1];
      for (const withF of feats ? [0, 1] : [0]) {
        const xs = withF ? augmented(viewName(view)) : vectors;
        const probs = grid.map(() => new Array<number[]>(n));
        for (const [f, { fit, held }] of foldRows.entries()) {
          const gram = gramMatrix(fit.map((i) => xs[i]!));
          grid.forEach((l2, g) => {
            const heads = fitHeads(xs, fit, l2, gram);
            for (const i of held) probs[g]![i] = heads.map((h) => predictLogReg(h, xs[i]!));
          });
          progress(`tune logreg ${viewName(view)}${withF ? ' +features' : ''}`, f + 1, foldRows.length);
        }
        grid.forEach((l2, g) => consider('logreg', view, probs[g]!, { l2, features: withF }));
      }
    }
  }
  const selected = methods.reduce((a, b) => (validation[b]!.score! > validation[a]!.score! ? b : a));
  bestView = views.find((v) => viewName(v) === validation[selected]!.view) ?? views[0]!;
  const params = validation[selected]!.params;
  const useFeatures = selected === 'logreg' && params.features === 1;
  const vectors = useFeatures ? augmented(viewName(bestView)) : embedded.get(viewName(bestView))!;
  const calibration = { folds, by, probabilities: oofOf.get(validation[selected]!)!.map((p) => p.map(round6)) };
  progress('calibrate', 1, 1);
  rmSync(o.outDir, { recursive: true, force: true });
  mkdirSync(o.outDir, { recursive: true });
  const files: Record<string, string> = {};
  const calibrationJson = `${JSON.stringify(calibration)}\n`;
  writeFileSync(join(o.outDir, CALIBRATION_FILE), calibrationJson);
  files[CALIBRATION_FILE] = sha256(calibrationJson);
  let knn: ArtifactManifest['knn'];
  let logreg: ArtifactManifest['logreg'];
  if (selected === 'logreg') {
    const l2 = validation.logreg!.params.l2!;
    const heads = fitHeads(vectors, all, l2);
    progress('fit logreg', 1, 1);
    const { buildLogRegOnnx } = await import('./logreg-onnx.js');
    const bytes = buildLogRegOnnx(heads, vectors[0]!.length, { models: JSON.stringify(data.models), embedder: `${embedder.modelId}@${embedder.modelVersion}` });
    writeFileSync(join(o.outDir, HEAD_FILE), bytes);
    files[HEAD_FILE] = sha256(bytes);
    logreg = { l2 };
  } else {
    const p = validation.knn!.params;
    const namespace = 'routing-knn';
    const store = await LanceDbStore.open({ dir: join(o.outDir, KNN_DIR), modelVersion: embedder.modelVersion, dimension: embedder.dimension });
    for (let i = 0; i < vectors.length; i += 2000) {
      await store.upsert(vectors.slice(i, i + 2000).map((vector, k) => ({ tenant: KNN_TENANT, namespace, hash: `row-${i + k}`, id: String(i + k), vector })));
      progress('store knn', Math.min(vectors.length, i + 2000), vectors.length);
    }
    await store.close();
    const labelsJson = `${stableStringify({ models: data.models, labels })}\n`;
    writeFileSync(join(o.outDir, KNN_LABELS), labelsJson);
    files[KNN_LABELS] = sha256(labelsJson);
    const hash = sha256(Buffer.concat(vectors.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength))));
    knn = { k: p.k!, temperature: p.temperature!, smoothing: p.smoothing!, rows: vectors.length, namespace, vectorsSha256: hash };
  }
  const body: Omit<ArtifactManifest, 'version'> = {
    format: ARTIFACT_FORMAT,
    method: selected,
    qualityMode: 'relative',
    embedder: { modelId: embedder.modelId, modelVersion: embedder.modelVersion, dimension: embedder.dimension },
    models: data.models,
    priors,
    ...(bestView.kind === 'tail' ? { textView: bestView } : {}),
    ...(useFeatures ? { features: { version: FEATURES_V1, names: featureNames() } } : {}),
    ...(costSource === 'data' ? { costs: data.models.map((_, j) => Math.round(cost.reduce((a, r) => a + r[j]!, 0) / cost.length)) } : {}),
    knn,
    logreg,
    outputLength: o.outputLength,
    calibration: { folds, by: calibration.by },
    training: { seed, rows: data.rows.length, validationRows: split.validation.length, split: split.by, dataSha256: labeledDataSha256(data, data.models)! },
    metrics: {
      validation,
      selected,
      selectedBy: data.models.length === 2 ? 'validation APGR (higher wins)' : `validation share of the zero-router → oracle AIQ gap recovered by the utility router (higher wins; costs: ${costSource === 'data' ? 'the data' : 'prior-rank stand-in'})`,
      candidates,
    },
    files,
  };
  const manifest: ArtifactManifest = { ...body, version: manifestVersion(body) } as ArtifactManifest;
  writeFileSync(join(o.outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
