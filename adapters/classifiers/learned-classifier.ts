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
import { ClassifierArtifactError } from '../../engine/routing-eval/errors.js';
import type { Embedder } from '../../embeddings/embedder.js';
import { createEmbedder } from '../../embeddings/index.js';
import { type ArtifactManifest, readManifest } from './learned/artifact.js';
import { OutputLengthModel } from './learned/output-length.js';
import { KnnPredictor, OnnxHeadPredictor, type QualityPredictor } from './learned/predictors.js';
import { RulesClassifier } from './rules-classifier.js';

export interface LearnedClassifierOptions {
  /** Defaults to the default offline embedder (`createEmbedder()`). */
  embedder?: Embedder;
  /** Supplies task, complexity and default output length. Defaults to {@link RulesClassifier}. */
  base?: RequestClassifier;
  /** Model ids the policy declares: at least one must be in the artefact. */
  policyModels?: readonly string[];
}

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
  readonly source: string;
  private readonly outputLength?: OutputLengthModel;

  private constructor(
    readonly manifest: ArtifactManifest,
    private readonly embedder: Embedder,
    private readonly predictor: QualityPredictor,
    private readonly base: RequestClassifier,
  ) {
    this.source = `${manifest.method}@${manifest.version}`;
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
    const predictor = m.method === 'knn' ? await KnnPredictor.load(dir, m) : await OnnxHeadPredictor.load(dir, m);
    return new LearnedClassifier(m, embedder, predictor, options.base ?? new RulesClassifier());
  }

  async classify(input: ClassifierInput, models: readonly ModelSpec[]): Promise<Classification> {
    return (await this.classifyMany([input], models))[0]!;
  }

  /** Batch form of {@link classify} (one embedding batch; used by eval and tune). */
  async classifyMany(inputs: readonly ClassifierInput[], models: readonly ModelSpec[]): Promise<Classification[]> {
    const vectors = await this.embedder.embed(inputs.map((i) => i.text));
    const probs = await this.predictor.predict(vectors);
    return Promise.all(
      inputs.map(async (input, i) => {
        const base = await this.base.classify(input, models);
        const length = this.outputLength?.predict(base.task, { predicted: base.predictedOutputTokens, upper: base.outputTokensUpper });
        const cap = input.request.maxOutputTokens ?? Number.POSITIVE_INFINITY;
        return {
          ...base,
          predictedOutputTokens: length ? Math.min(length.predicted, cap) : base.predictedOutputTokens,
          outputTokensUpper: length ? Math.min(length.upper, cap) : base.outputTokensUpper,
          quality: qualityFromProbabilities(probs[i]!, this.manifest, models, base.quality),
          source: this.source,
        };
      }),
    );
  }

  async close(): Promise<void> {
    await this.predictor.close();
  }
}
