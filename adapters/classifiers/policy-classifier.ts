/**
 * The classifier a policy asks for: `classifier.kind: 'learned'` loads the artefact at
 * `classifier.artifact` (resolved relative to the policy file's folder, else the working directory);
 * anything else is the rules classifier. {@link LazyClassifier} defers the (async) load to the first
 * request for the synchronous `createTollgate`; `createTollgateAsync` loads eagerly so a bad artefact
 * fails at start-up.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import type { LoadedPolicy } from '../../policies/loader.js';
import type { ModelSpec } from '../../policies/schema.js';
import type { Classification, ClassifierInput, RequestClassifier } from '../../engine/seams/classifier.js';
import { ClassifierArtifactError } from './learned/artifact-error.js';
import type { Embedder } from '../../embeddings/embedder.js';
import { RulesClassifier } from './rules-classifier.js';

/** Absolute artefact directory of a policy's learned classifier, or undefined for a rules policy. */
export function artifactPath(loaded: LoadedPolicy): string | undefined {
  const c = loaded.policy.classifier;
  if (c?.kind !== 'learned') return undefined;
  if (!c.artifact) throw new ClassifierArtifactError('(none)', `policy "${loaded.policy.name}" has classifier.kind "learned" but no classifier.artifact`);
  return isAbsolute(c.artifact) ? c.artifact : resolve(loaded.file ? dirname(loaded.file) : process.cwd(), c.artifact);
}

/** Loads the policy's classifier now (throws {@link ClassifierArtifactError} for a bad artefact). */
export async function loadPolicyClassifier(loaded: LoadedPolicy, options: { embedder?: Embedder } = {}): Promise<RequestClassifier> {
  const dir = artifactPath(loaded);
  if (!dir) return new RulesClassifier();
  // Loaded on demand: the learned classifier pulls in onnxruntime and LanceDB, seconds of start-up
  // that a rules-only engine (and every gateway start) should not pay.
  const { LearnedClassifier } = await import('./learned-classifier.js');
  const c = loaded.policy.classifier!;
  return LearnedClassifier.load(dir, { embedder: options.embedder, policyModels: loaded.policy.models.map((m) => m.id), models: loaded.policy.models, scale: c.scale, rankWindow: c.rankWindow });
}

/** Loads the policy's classifier on first use; every call awaits the same load. */
export class LazyClassifier implements RequestClassifier {
  /** The seam specification this implementation was written against (engine/seams/specification.ts). */
  readonly specificationVersion = 'v1' as const;
  private loading?: Promise<RequestClassifier>;
  constructor(private readonly load: () => Promise<RequestClassifier>) {}

  ready(): Promise<RequestClassifier> {
    this.loading ??= this.load();
    return this.loading;
  }

  async classify(input: ClassifierInput, models: readonly ModelSpec[]): Promise<Classification> {
    return (await this.ready()).classify(input, models);
  }
}
