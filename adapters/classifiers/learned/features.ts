/**
 * Features beyond the prompt embedding, appended to it for the logistic-regression heads (kNN searches
 * the embedding alone): prompt length, the rules classifier's task (one-hot) and complexity, code and
 * math markers, and the turn count. Each is scaled to about [0, 1]. The same function runs at training
 * and at run time, so the artefact's `features` list names exactly what the heads were fitted on. Pure.
 */
import { TASKS, type Task } from '../../../policies/schema.js';

export const FEATURES_V1 = 'v1';

const CODE = /```|\bdef |\bfunction\b|\bclass |\breturn\b|[{};]\s*$|\bimport\b|=>|\bconsole\.|\bprint\(/m;
const MATH = /\d\s*[-+*/^=]\s*\d|\\frac|\\sqrt|[∑∫√π]|\b(equation|integer|sum|product|probability|solve)\b/i;

export function featureNames(): string[] {
  return ['log_tokens', 'complexity', 'code_marker', 'math_marker', 'turns', ...TASKS.map((t) => `task_${t}`)];
}

/** The feature vector of one prompt. `tokens`: prompt tokens; `turns`: user/assistant turns (1 for a single prompt). */
export function promptFeatures(text: string, tokens: number, turns: number, rules: { task: Task; complexity: number }): number[] {
  return [
    Math.min(1, Math.log1p(tokens) / Math.log(8192)),
    rules.complexity,
    CODE.test(text) ? 1 : 0,
    MATH.test(text) ? 1 : 0,
    Math.min(1, Math.log(Math.max(1, turns)) / Math.log(16)),
    ...TASKS.map((t) => (rules.task === t ? 1 : 0)),
  ];
}

/** `vector` followed by `features` (a new array). */
export function withFeatures(vector: Float32Array, features: readonly number[]): Float32Array {
  const out = new Float32Array(vector.length + features.length);
  out.set(vector);
  out.set(features, vector.length);
  return out;
}
