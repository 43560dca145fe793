/**
 * The learned classifier: per-model quality from the prompt's embedding (kNN over labeled prompts in
 * LanceDB, or logistic-regression heads run as ONNX), composed with a base classifier (the rules one by
 * default) that still supplies task and complexity. Output length comes from the artefact's
 * per-task {@link OutputLengthModel} when it has one, else from the base classifier.
 *
 * Load with {@link LearnedClassifier.load}: the artefact is verified (format, content version, file
 * hashes), and its embedder model version and dimension must equal the embedder's — any mismatch is a
 * {@link ClassifierArtifactError} at load time, never a wrong route.
 */
import type { ModelSpec } from '../../policies/schema.js';
import type { Classification, ClassifierInput, RequestClassifier } from '../../engine/seams/classifier.js';
import { ClassifierArtifactError } from './learned/artifact-error.js';
import type { Embedder } from '../../embeddings/embedder.js';
import { createEmbedder } from '../../embeddings/index.js';
import { type ArtifactManifest, readManifest } from './learned/artifact.js';
import { type CalibrationData, labeledDataSha256, readCalibration } from './learned/calibration.js';
import { TrafficRank } from './learned/traffic-rank.js';
import type { LabeledRows as LabeledData } from './learned/calibration.js';
import { OutputLengthModel } from './learned/output-length.js';
import { KnnPredictor, OnnxHeadPredictor, type QualityPredictor } from './learned/predictors.js';
import { RulesClassifier } from './rules-classifier.js';
import { viewText } from './learned/text-view.js';
import { featureNames, promptFeatures, withFeatures } from './learned/features.js';
import { utilityQualities } from './learned/utility.js';

export interface LearnedClassifierOptions {
  /** Defaults to the default offline embedder (`createEmbedder()`). */
  embedder?: Embedder;
  /** Supplies task, complexity and default output length. Defaults to {@link RulesClassifier}. */
  base?: RequestClassifier;
  /** Model ids the policy declares: at least one must be in the artefact. */
  policyModels?: readonly string[];
  /** The policy's model specs (the `utility` scale reads their `prices`). */
  models?: readonly ModelSpec[];
  /**
   * `probability` (default): quality from the predicted probabilities (see {@link qualityFromProbabilities}).
   * `traffic-rank`: quality = 1 − the share of recent requests with a smaller predicted shortfall
   * ({@link TrafficRank}), so a floor f sends about a share f of traffic past the weak model under any
   * traffic mix. Needs an artefact with out-of-fold calibration data.
   * `utility`: the rule's cheapest-above-floor choice becomes the model maximising p − λ·cost, the floor
   * standing for λ (see learned/utility.ts). Costs: the models' declared `prices` × tokens, else the
   * artefact's mean training cost per request.
   */
  scale?: 'probability' | 'traffic-rank' | 'utility';
  /** `traffic-rank` window: how many recent requests a request is ranked against. Default {@link DEFAULT_RANK_WINDOW}. */
  rankWindow?: number;
}

export const DEFAULT_RANK_WINDOW = 300;

/**
 * Maps per-model probabilities to `Classification.quality` for the models passed in. Models the artefact
 * does not know keep `fallback` (the base classifier's value). Pure.
 */
export function qualityFromProbabilities(probs: readonly number[], manifest: Pick<ArtifactManifest, 'models' | 'qualityMode'>, models: readonly ModelSpec[], fallback: Record<string, number>): Record<string, number> {
  const known = new Map(manifest.models.map((id, j) => [id, probs[j]!]));
  let best = 0;
  for (const m of models) if (known.has(m.id)) best = Math.max(best, known.get(m.id)!);
  const out: Record<string, number> = {};
  for (const m of models) {
    const p = known.get(m.id);
    if (p === undefined) out[m.id] = fallback[m.id] ?? m.quality;
    else out[m.id] = manifest.qualityMode === 'absolute' ? p : 1 - Math.max(0, best - p);
  }
  return out;
}

export class LearnedClassifier implements RequestClassifier {
  /** The seam specification this implementation was written against (engine/seams/specification.ts). */
  readonly specificationVersion = 'v1' as const;
  readonly source: string;
  private readonly outputLength?: OutputLengthModel;
  /** Whether a data set is the training data, by object (see {@link outOfFoldProbabilities}). */
  private readonly trainedOn = new WeakMap<LabeledData, boolean>();

  private constructor(
    readonly manifest: ArtifactManifest,
    private readonly embedder: Embedder,
    private readonly predictor: QualityPredictor,
    private readonly base: RequestClassifier,
    private readonly calibration?: CalibrationData,
    private readonly rank?: TrafficRank,
    private readonly utility = false,
  ) {
    this.source = `${manifest.method}@${manifest.version}${rank ? '/rank' : utility ? '/utility' : ''}`;
    if (manifest.outputLength) this.outputLength = new OutputLengthModel(manifest.outputLength);
  }

  static async load(dir: string, options: LearnedClassifierOptions = {}): Promise<LearnedClassifier> {
    const m = readManifest(dir);
    const embedder = options.embedder ?? (await createEmbedder());
    if (embedder.modelId !== m.embedder.modelId || embedder.modelVersion !== m.embedder.modelVersion) {
      throw new ClassifierArtifactError(dir, `trained with embedder ${m.embedder.modelId}@${m.embedder.modelVersion}, given ${embedder.modelId}@${embedder.modelVersion}`);
    }
    if (embedder.dimension !== m.embedder.dimension) throw new ClassifierArtifactError(dir, `trained on ${m.embedder.dimension}-dim embeddings, embedder gives ${embedder.dimension}`);
    if (options.policyModels && !options.policyModels.some((id) => m.models.includes(id))) {
      throw new ClassifierArtifactError(dir, `none of the policy's models (${options.policyModels.join(', ')}) is in the artefact (${m.models.join(', ')})`);
    }
    if (m.features && m.features.names.join(',') !== featureNames().join(',')) throw new ClassifierArtifactError(dir, `trained with prompt features ${m.features.version} (${m.features.names.join(', ')}), this version computes ${featureNames().join(', ')}; retrain the artefact`);
    const calibration = readCalibration(dir, m);
    let rank: TrafficRank | undefined;
    if (options.scale === 'traffic-rank') {
      if (!calibration) throw new ClassifierArtifactError(dir, 'the traffic-rank scale needs out-of-fold calibration data (calibration.json); retrain the artefact with `tollgate train`');
      const window = options.rankWindow ?? DEFAULT_RANK_WINDOW;
      if (!Number.isInteger(window) || window < 1) throw new ClassifierArtifactError(dir, `rank window must be a positive integer (got ${window})`);
      const used = m.models.map((id) => !options.policyModels || options.policyModels.includes(id));
      const rows = calibration.probabilities.map((p) => shortfalls(p, used));
      rank = new TrafficRank(window, m.models.map((_, j) => rows.map((r) => r[j]!)));
    }
    if (options.scale === 'utility' && !m.costs) {
      const models = options.models ?? [];
      const known = m.models.filter((id) => !options.policyModels || options.policyModels.includes(id));
      if (!known.every((id) => models.find((x) => x.id === id)?.prices)) throw new ClassifierArtifactError(dir, 'the utility scale needs costs: declare `prices` for every model of the artefact in the policy, or train on data with cost columns');
    }
    const predictor = m.method === 'knn' ? await KnnPredictor.load(dir, m) : await OnnxHeadPredictor.load(dir, m);
    return new LearnedClassifier(m, embedder, predictor, options.base ?? new RulesClassifier(), calibration, rank, options.scale === 'utility');
  }

  /**
   * The artefact's out-of-fold probabilities when `data` is exactly the data it was trained on (same
   * prompts and labels, same order), else undefined. Replaying training rows through the fitted model
   * would give in-sample predictions; tune and eval use these instead.
   */
  outOfFoldProbabilities(data: LabeledData): number[][] | undefined {
    if (!this.calibration || data.rows.length !== this.manifest.training.rows) return undefined;
    // Hashing every prompt is the cost here; tune asks once to report and once to replay.
    let same = this.trainedOn.get(data);
    if (same === undefined) this.trainedOn.set(data, (same = labeledDataSha256(data, this.manifest.models) === this.manifest.training.dataSha256));
    return same ? this.calibration.probabilities : undefined;
  }

  async classify(input: ClassifierInput, models: readonly ModelSpec[]): Promise<Classification> {
    return (await this.classifyMany([input], models))[0]!;
  }

  /** Batch form of {@link classify} (one embedding batch; used by eval and tune). */
  async classifyMany(inputs: readonly ClassifierInput[], models: readonly ModelSpec[]): Promise<Classification[]> {
    return this.classifyWithProbabilities(inputs, models, await this.probabilities(inputs, models));
  }

  /** Each input's predicted success probability per artefact model (manifest order); `eval --from-log` scores these. */
  async probabilities(inputs: readonly ClassifierInput[], models: readonly ModelSpec[]): Promise<number[][]> {
    let vectors = await this.embedder.embed(inputs.map((i) => viewText(i.text, this.manifest.textView)));
    if (this.manifest.features) {
      const turns = (input: ClassifierInput) => Math.max(1, input.request.messages.filter((m) => m.role !== 'system').length);
      const bases = await Promise.all(inputs.map((input) => this.base.classify(input, models)));
      vectors = vectors.map((v, i) => withFeatures(v, promptFeatures(inputs[i]!.text, inputs[i]!.promptTokens, turns(inputs[i]!), bases[i]!)));
    }
    return (await this.predictor.predict(vectors)).map((p) => [...p]);
  }

  /** {@link classifyMany} with the per-model probabilities already known (e.g. out-of-fold ones), in input order. */
  async classifyWithProbabilities(inputs: readonly ClassifierInput[], models: readonly ModelSpec[], probs: readonly (readonly number[])[]): Promise<Classification[]> {
    const bases = await Promise.all(
      inputs.map(async (input) => {
        const base = await this.base.classify(input, models);
        const length = this.outputLength?.predict(base.task, { predicted: base.predictedOutputTokens, upper: base.outputTokensUpper });
        const cap = input.request.maxOutputTokens ?? Number.POSITIVE_INFINITY;
        return { ...base, predictedOutputTokens: length ? Math.min(length.predicted, cap) : base.predictedOutputTokens, outputTokensUpper: length ? Math.min(length.upper, cap) : base.outputTokensUpper };
      }),
    );
    // Ranked now, in input order: the traffic-rank window must see requests in the order they came.
    return bases.map((base, i) => {
      const known = this.knownQuality(probs[i]!, models, inputs[i]!.promptTokens, base.predictedOutputTokens);
      return { ...base, quality: Object.fromEntries(models.map((m) => [m.id, known[m.id] ?? base.quality[m.id] ?? m.quality])), source: this.source };
    });
  }

  /** Quality of the artefact's models among `models` (the others are left to the base classifier). */
  private knownQuality(probs: readonly number[], models: readonly ModelSpec[], promptTokens: number, outputTokens: number): Record<string, number> {
    if (this.utility) return this.utilityQuality(probs, models, promptTokens, outputTokens);
    const q = qualityFromProbabilities(probs, this.manifest, models.filter((m) => this.manifest.models.includes(m.id)), {});
    if (!this.rank) return q;
    const used = this.manifest.models.map((id) => id in q);
    const s = shortfalls(probs, used);
    for (const [j, id] of this.manifest.models.entries()) if (used[j]) q[id] = 1 - this.rank.rankAndAdd(j, s[j]!);
    return q;
  }

  /** The `utility` scale over the artefact's models among `models` (see learned/utility.ts). */
  private utilityQuality(probs: readonly number[], models: readonly ModelSpec[], promptTokens: number, outputTokens: number): Record<string, number> {
    const ids: string[] = [];
    const p: number[] = [];
    const cost: number[] = [];
    const priced = models.every((m) => !this.manifest.models.includes(m.id) || m.prices);
    for (const m of models) {
      const j = this.manifest.models.indexOf(m.id);
      if (j < 0) continue;
      ids.push(m.id);
      p.push(probs[j]!);
      cost.push(priced ? m.prices!.inputPerM * promptTokens + m.prices!.outputPerM * outputTokens : this.manifest.costs![j]!);
    }
    const q = utilityQualities(p, cost);
    return Object.fromEntries(ids.map((id, k) => [id, q[k]!]));
  }

  async close(): Promise<void> {
    await this.predictor.close();
  }
}

/** Per model, p_best − p_model over the models marked `used` (0 for unused ones). */
function shortfalls(probs: readonly number[], used: readonly boolean[]): number[] {
  let best = 0;
  probs.forEach((p, j) => used[j] && (best = Math.max(best, p)));
  return probs.map((p, j) => (used[j] ? Math.max(0, best - p) : 0));
}
