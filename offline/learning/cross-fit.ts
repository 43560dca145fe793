/**
 * Cross-fitted evaluation of a learned router (`tollgate eval --cross-fit K`, the N-model routing bench).
 *
 * The rows of a labeled file are cut into K folds (whole subjects/tasks when there are ≥ K of them, else
 * seeded rows; {@link foldOf}). For each fold, a router is trained by {@link trainClassifier} on the other
 * K − 1 folds only — its method, text view and hyper-parameters chosen by out-of-fold quality inside
 * those folds — and predicts the held fold's rows. Every row is thus predicted by a model that never saw
 * it (its own fold held out), and the frontier is evaluated on all rows at once: 1/s× the rows of a
 * hold-out share s, so bootstrap intervals about √(1/s)× narrower than one seeded hold-out of the same data.
 *
 * Embeddings are the expensive part: the embedder is wrapped in a cache (text → vector), so each prompt
 * view is embedded once across all folds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Embedder } from '../../embeddings/index.js';
import { LearnedClassifier } from '../../adapters/classifiers/index.js';
import type { Classification, ClassifierInput, CompiledPolicy, ModelSpec, RequestClassifier } from '../../index.js';
import { RoutingEvaluationError } from './errors.js';
import { replayInputs } from './evaluate.js';
import { foldOf } from './folds.js';
import type { LabeledData } from './labeled-csv.js';
import { trainClassifier, type TrainOptions } from './train.js';

/** One outer fold: what its router was trained on and what inner selection chose. */
export interface CrossFitFold {
  fold: number;
  trainRows: number;
  heldRows: number;
  method: string;
  view: string;
  params: Record<string, number>;
  /** The inner out-of-fold selection score of the chosen candidate (training folds only). */
  innerScore: number | null;
  version: string;
  trainSeconds: number;
}

export interface CrossFitOptions {
  embedder: Embedder;
  /** Outer folds (default 5). */
  folds?: number;
  /** Seed of the outer fold assignment (default 1); inner selection uses `train.seed`. */
  seed?: number;
  /** Options passed to every fold's {@link trainClassifier} (method, grids, views, inner folds). */
  train?: Omit<TrainOptions, 'data' | 'outDir' | 'embedder'>;
  /** How each fold's artefact is loaded (the policy classifier's `scale`). */
  scale?: 'probability' | 'traffic-rank' | 'utility';
  onProgress?: (phase: string, done: number, total: number) => void;
}

/** Groups (subjects/tasks) the folds keep whole when there are at least `folds` of them. */
export function foldGroups(data: LabeledData, folds: number): string[] | undefined {
  for (const key of ['subject', 'task', 'eval_name', 'category']) {
    if (!data.rows.every((r) => r.meta[key] !== undefined && r.meta[key] !== '')) continue;
    const g = data.rows.map((r) => r.meta[key]!);
    if (new Set(g).size >= folds) return g;
  }
  return undefined;
}

/** An embedder that embeds each distinct text once (vectors kept in memory for the object's lifetime). */
export function cachingEmbedder(inner: Embedder): Embedder {
  const cache = new Map<string, Float32Array>();
  return {
    specificationVersion: inner.specificationVersion,
    modelId: inner.modelId,
    modelVersion: inner.modelVersion,
    dimension: inner.dimension,
    maxTokens: inner.maxTokens,
    executionProvider: inner.executionProvider,
    get stats() {
      return inner.stats;
    },
    countTokens: (text: string) => inner.countTokens(text),
    async embed(texts: string[]): Promise<Float32Array[]> {
      const missing = [...new Set(texts.filter((t) => !cache.has(t)))];
      if (missing.length) (await inner.embed(missing)).forEach((v, i) => cache.set(missing[i]!, v));
      return texts.map((t) => cache.get(t)!);
    },
  };
}

/**
 * A classifier holding cross-fitted predictions for exactly one data set (by its rows array): `eval`
 * replays them as out-of-fold predictions. It refuses to classify anything else.
 */
export class CrossFitClassifier implements RequestClassifier {
  readonly specificationVersion = 'v1' as const;
  readonly source: string;

  constructor(
    private readonly rows: LabeledData['rows'],
    private readonly probabilities: number[][],
    private readonly converter: LearnedClassifier,
    readonly folds: CrossFitFold[],
    readonly by: 'subject' | 'random',
  ) {
    const methods = [...new Set(folds.map((f) => f.method))].join('+');
    this.source = `cross-fit ${folds.length} folds (${methods})${converter.source.endsWith('/utility') ? '/utility' : converter.source.endsWith('/rank') ? '/rank' : ''}`;
  }

  /** The cross-fitted probabilities when `data` has the rows it was fitted on (the same array), else undefined. */
  outOfFoldProbabilities(data: LabeledData): number[][] | undefined {
    return data.rows === this.rows ? this.probabilities : undefined;
  }

  async classifyWithProbabilities(inputs: readonly ClassifierInput[], models: readonly ModelSpec[], probs: readonly (readonly number[])[]): Promise<Classification[]> {
    return (await this.converter.classifyWithProbabilities(inputs, models, probs)).map((c) => ({ ...c, source: this.source }));
  }

  async classify(): Promise<Classification> {
    throw new RoutingEvaluationError('a cross-fitted router only replays the rows it was fitted on (use it with evaluateFrontier on the same data)');
  }

  async close(): Promise<void> {
    await this.converter.close();
  }
}

/**
 * Trains one router per outer fold on the other folds and predicts the held fold (see the module
 * comment). `data` is what `evaluateFrontier` will be given (the same object's rows).
 */
export async function crossFitClassifier(policy: CompiledPolicy, data: LabeledData, o: CrossFitOptions): Promise<CrossFitClassifier> {
  const K = o.folds ?? 5;
  if (!Number.isInteger(K) || K < 2) throw new RoutingEvaluationError(`cross-fit folds must be an integer ≥ 2 (got ${K})`);
  if (data.rows.length < 2 * K) throw new RoutingEvaluationError(`cross-fit with ${K} folds needs at least ${2 * K} rows (${data.file} has ${data.rows.length})`);
  const embedder = cachingEmbedder(o.embedder);
  const progress = o.onProgress ?? (() => undefined);
  const { fold, by } = foldOf(data.rows.length, K, o.seed ?? 1, foldGroups(data, K));
  const asGiven = { ...data, models: data.models.filter((m) => policy.byId.has(m)) };
  const inputs = replayInputs(policy, asGiven);
  const models = policy.policy.models;
  const policyModels = models.map((m) => m.id);
  const probabilities: number[][] = new Array(data.rows.length);
  const folds: CrossFitFold[] = [];
  let converter: LearnedClassifier | undefined;
  for (let f = 0; f < K; f++) {
    const fit: number[] = [];
    const held: number[] = [];
    fold.forEach((x, i) => (x === f ? held : fit).push(i));
    if (!held.length) continue;
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-crossfit-'));
    try {
      const started = Date.now();
      const m = await trainClassifier({ ...o.train, data: { ...data, rows: fit.map((i) => data.rows[i]!) }, outDir: dir, embedder, onProgress: (phase, d, t) => progress(`fold ${f + 1}/${K}: ${phase}`, d, t) });
      const trainSeconds = (Date.now() - started) / 1000;
      const c = await LearnedClassifier.load(dir, { embedder, policyModels, models, scale: o.scale });
      // Probabilities in the artefact's model order, which is the data's for every fold.
      if (m.models.join('\n') !== data.models.join('\n')) throw new RoutingEvaluationError(`fold ${f + 1}'s artefact has models ${m.models.join(', ')}, the data ${data.models.join(', ')}`);
      const p = await c.probabilities(held.map((i) => inputs[i]!), models);
      held.forEach((i, k) => (probabilities[i] = p[k]!));
      const v = m.metrics.validation[m.method];
      folds.push({ fold: f, trainRows: fit.length, heldRows: held.length, method: m.method, view: v?.view ?? 'full', params: { ...(v?.params ?? {}) } as Record<string, number>, innerScore: v?.score ?? null, version: m.version, trainSeconds });
      if (converter) await c.close();
      else converter = c;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    progress('cross-fit', f + 1, K);
  }
  return new CrossFitClassifier(data.rows, probabilities, converter!, folds, by);
}
