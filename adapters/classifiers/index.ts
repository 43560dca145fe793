/**
 * `tollgate/classifiers`: the learned classifier (kNN / logistic heads over embeddings, calibrated
 * output-length model). Loads onnxruntime-node and @lancedb/lancedb on first use (optional peers).
 */
export { HEAD_FILE, KNN_DIR, KNN_LABELS, KNN_TENANT } from './learned/predictors.js';
export { DEFAULT_RANK_WINDOW, LearnedClassifier } from './learned-classifier.js';
