import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../index.js';
import { createEmbedder } from '../embeddings/index.js';
import { DEFAULT_SEMANTIC_THRESHOLD } from '../embeddings/index.js';
import { printTable, writeResult } from './stats.js';

interface Pair {
  split: string;
  label: number;
  text1: string;
  text2: string;
}

/** Precision and recall of "same question" (cosine ≥ t) against MRPC's paraphrase labels. */
export function precisionRecall(sims: number[], labels: number[], t: number): { precision: number; recall: number; hits: number } {
  let tp = 0;
  let fp = 0;
  let pos = 0;
  sims.forEach((s, i) => {
    if (labels[i] === 1) pos++;
    if (s >= t) labels[i] === 1 ? tp++ : fp++;
  });
  return { precision: tp + fp ? tp / (tp + fp) : 1, recall: pos ? tp / pos : 0, hits: tp + fp };
}

/**
 * Semantic-cache quality on MRPC (used in place from ../shared, never copied): the lowest threshold
 * whose precision on MRPC-train is ≥ 0.95, then precision and recall on MRPC-test at that threshold and
 * at the shipped default.
 */
export async function runSemanticCacheBench(outDir: string): Promise<Record<string, unknown> | undefined> {
  const file = join(packageRoot(), '..', 'shared', 'data', 'paraphrase', 'mrpc_pairs.jsonl');
  if (!existsSync(file)) {
    console.log(`\n(semantic-cache: ${file} not found; skipped)`);
    return undefined;
  }
  const pairs: Pair[] = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Pair);
  const embedder = await createEmbedder();
  const score = async (split: string) => {
    const ps = pairs.filter((p) => p.split === split);
    const a = await embedder.embed(ps.map((p) => p.text1));
    const b = await embedder.embed(ps.map((p) => p.text2));
    return { sims: a.map((v, i) => v.reduce((s, x, j) => s + x * b[i]![j]!, 0)), labels: ps.map((p) => p.label) };
  };
  const train = await score('MRPC-train');
  const test = await score('MRPC-test');
  let chosen = 1;
  for (let t = 0.5; t <= 1.0001; t += 0.0025) {
    if (precisionRecall(train.sims, train.labels, t).precision >= 0.95) {
      chosen = Math.round(t * 10000) / 10000;
      break;
    }
  }
  const atChosen = precisionRecall(test.sims, test.labels, chosen);
  const atDefault = precisionRecall(test.sims, test.labels, DEFAULT_SEMANTIC_THRESHOLD);
  const rows = [
    { threshold: `${chosen} (train-chosen)`, split: 'MRPC-test', precision: atChosen.precision.toFixed(3), recall: atChosen.recall.toFixed(3), hits: atChosen.hits },
    { threshold: `${DEFAULT_SEMANTIC_THRESHOLD} (shipped)`, split: 'MRPC-test', precision: atDefault.precision.toFixed(3), recall: atDefault.recall.toFixed(3), hits: atDefault.hits },
  ];
  for (const t of [0.96, 0.97, 0.975, 0.98, 0.985, 0.99]) {
    const tr = precisionRecall(train.sims, train.labels, t);
    const te = precisionRecall(test.sims, test.labels, t);
    rows.push({ threshold: String(t), split: `train p=${tr.precision.toFixed(3)} r=${tr.recall.toFixed(3)} | test`, precision: te.precision.toFixed(3), recall: te.recall.toFixed(3), hits: te.hits });
  }
  printTable(`semantic cache on MRPC (model ${embedder.modelId})`, rows);
  const result = { model: embedder.modelId, trainChosenThreshold: chosen, shippedThreshold: DEFAULT_SEMANTIC_THRESHOLD, test: { atChosen, atDefault }, testPairs: test.sims.length };
  writeResult(outDir, 'semantic-cache', result);
  return result;
}
