/**
 * MRPC paraphrase evaluation (read in place from ../shared; never copied into the repo):
 * cosine similarity of each pair → ROC-AUC on MRPC-test, and accuracy on MRPC-test at the threshold
 * that maximises accuracy on MRPC-train.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MrpcPair {
  split: 'MRPC-train' | 'MRPC-test';
  label: 0 | 1;
  text1: string;
  text2: string;
}

export interface MrpcScore {
  rocAucTest: number;
  rocAucTrain: number;
  threshold: number;
  accuracyTrain: number;
  accuracyTest: number;
}

export function mrpcPath(packageRoot: string): string {
  return join(packageRoot, '..', 'shared', 'data', 'paraphrase', 'mrpc_pairs.jsonl');
}

export function loadMrpc(file: string): MrpcPair[] | undefined {
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as MrpcPair);
}

/** ROC-AUC by the rank-sum formula (ties get average ranks). */
export function rocAuc(scores: number[], labels: number[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const ranks = new Array<number>(scores.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  const positives = labels.filter((l) => l === 1).length;
  const negatives = labels.length - positives;
  const rankSum = labels.reduce((s, l, i) => s + (l === 1 ? ranks[i] : 0), 0);
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

const accuracyAt = (scores: number[], labels: number[], t: number): number => scores.filter((s, i) => (s >= t ? 1 : 0) === labels[i]).length / scores.length;

/** Threshold (midpoint between adjacent scores) that maximises accuracy. */
export function bestThreshold(scores: number[], labels: number[]): number {
  const sorted = [...new Set(scores)].sort((a, b) => a - b);
  let best = { t: sorted[0] - 1e-6, acc: accuracyAt(scores, labels, sorted[0] - 1e-6) };
  for (let i = 0; i < sorted.length; i++) {
    const t = i + 1 < sorted.length ? (sorted[i] + sorted[i + 1]) / 2 : sorted[i] + 1e-6;
    const acc = accuracyAt(scores, labels, t);
    if (acc > best.acc) best = { t, acc };
  }
  return best.t;
}

/** Scores a model given its cosine similarity for every pair (same order as `pairs`). */
export function scoreMrpc(pairs: MrpcPair[], similarity: number[]): MrpcScore {
  const pick = (split: string) => {
    const idx = pairs.map((p, i) => (p.split === split ? i : -1)).filter((i) => i >= 0);
    return { scores: idx.map((i) => similarity[i]), labels: idx.map((i) => pairs[i].label) };
  };
  const train = pick('MRPC-train');
  const test = pick('MRPC-test');
  const threshold = bestThreshold(train.scores, train.labels);
  return {
    rocAucTest: rocAuc(test.scores, test.labels),
    rocAucTrain: rocAuc(train.scores, train.labels),
    threshold,
    accuracyTrain: accuracyAt(train.scores, train.labels, threshold),
    accuracyTest: accuracyAt(test.scores, test.labels, threshold),
  };
}

export const cosine = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb || 1);
};
