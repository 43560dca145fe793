import { TollgateError } from '../../../engine/errors.js';

/**
 * A learned-classifier artefact cannot be used: missing or corrupt files, a content hash that does not
 * match its manifest, an embedder whose model version or dimension differs from the one it was trained
 * with, or models the policy does not declare. Thrown at load time, so a bad artefact never routes.
 * Code `classifier_artifact_invalid`.
 */
export class ClassifierArtifactError extends TollgateError {
  constructor(dir: string, reason: string, details: Record<string, unknown> = {}) {
    super('classifier_artifact_invalid', `Classifier artefact ${dir}: ${reason}`, { dir, ...details });
  }
}
