/**
 * Cross-fitted evaluation (offline/learning/cross-fit.ts): every row predicted by a router trained on
 * the other folds only. Synthetic data: two cheap specialists (code / history prompts) and a dear
 * generalist, so a router that reads the prompt beats the zero router; and a noise label (a model the
 * rule does not route to), which a prediction that saw its own row reproduces and an out-of-fold one cannot.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GenaiPricesCatalog } from '../../../adapters/genai-prices-catalog.js';
import { LearnedClassifier } from '../../../adapters/classifiers/learned-classifier.js';
import { RulesClassifier } from '../../../adapters/classifiers/rules-classifier.js';
import { createEmbedder, type Embedder } from '../../../embeddings/index.js';
import { compilePolicy } from '../../../engine/compiled-policy.js';
import { cachingEmbedder, crossFitClassifier } from '../../../offline/learning/cross-fit.js';
import { RoutingEvaluationError } from '../../../offline/learning/errors.js';
import { buildReplayItems, replayInputs } from '../../../offline/learning/evaluate.js';
import { evaluateFrontier } from '../../../offline/learning/evaluate-frontier.js';
import { parseLabeledCsv } from '../../../offline/learning/labeled-csv.js';
import { trainClassifier } from '../../../offline/learning/train.js';
import { loadPolicy } from '../../../policies/loader.js';
import { codeHistoryCsv } from '../../support/code-history-dataset.js';

const CODE = ['Write a python function that reverses a linked list', 'Fix the bug in this javascript loop', 'Refactor the sql query to use a join', 'Implement binary search in typescript'];
const HIST = ['In what year did the Roman empire fall', 'Who led the French revolution armies', 'Why did the Ottoman empire decline', 'When was the Magna Carta signed by the king'];
const SPECS = [
  { name: 'code-small', right: { code: 0.9, history: 0.15 }, cost: '0.00001' },
  { name: 'hist-small', right: { code: 0.15, history: 0.9 }, cost: '0.00001' },
  { name: 'generalist', right: { code: 0.93, history: 0.93 }, cost: '0.0001' },
  { name: 'coin', right: { code: 0.5, history: 0.5 }, cost: '0.001' },
];
const dataset = (n: number, seed: number): string => codeHistoryCsv(n, seed, { code: CODE, history: HIST, models: SPECS });
const MODELS = SPECS.map((m) => m.name);

let dir: string;
let embedder: Embedder;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-crossfit-test-'));
  embedder = await createEmbedder();
});

async function policyFor() {
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, [
    'name: synthetic',
    'models:',
    ...MODELS.map((id, i) => `  - { id: ${id}, tier: vendor, adapter: openai-compatible, endpoint: http://127.0.0.1:1/v1, contextWindow: 8000, quality: ${[0.52, 0.52, 0.93, 0.5][i]}, prices: { inputPerM: ${[1, 1, 10, 100][i]}, outputPerM: ${[1, 1, 10, 100][i]} } }`),
    'rules:',
    `  - { name: any, models: [${MODELS.slice(0, 3).join(', ')}], qualityFloor: 0.9 }`,
    'classifier: { kind: learned, artifact: ./router, scale: utility }',
    '',
  ].join('\n'));
  const loaded = await loadPolicy(file);
  return { loaded, policy: compilePolicy(loaded, new GenaiPricesCatalog()) };
}

/** Share of rows where the predicted coin probability is on the same side of 0.5 as the row's own coin label. */
function coinAgreement(probs: readonly (readonly number[])[], rows: readonly { scores: Record<string, number | undefined> }[]): number {
  const j = MODELS.indexOf('coin');
  return rows.filter((r, i) => (probs[i]![j]! > 0.5) === (r.scores.coin === 1)).length / rows.length;
}

describe('cross-fitted evaluation', () => {
  it('the caching embedder embeds each distinct text once and returns the same vectors', async () => {
    const cached = cachingEmbedder(embedder);
    const before = embedder.stats.texts;
    const a = await cached.embed(['alpha beta', 'gamma', 'alpha beta']);
    const b = await cached.embed(['gamma', 'delta']);
    expect(embedder.stats.texts - before).toBe(3);
    expect(b[0]).toBe(a[1]);
    expect(Array.from(a[0]!)).toEqual(Array.from((await embedder.embed(['alpha beta']))[0]!));
  });

  it('predicts every row from a model trained without its fold: beats the zero router on all rows, and cannot reproduce a noise label an in-sample fit does', async () => {
    const data = parseLabeledCsv(dataset(180, 7), 'synthetic.csv');
    const { loaded, policy } = await policyFor();
    const train = { method: 'knn' as const, knnK: [1], seed: 1, calibrationFolds: 3 };
    const cf = await crossFitClassifier(policy, data, { embedder, folds: 3, seed: 2, scale: 'utility', train });
    expect(cf.folds).toHaveLength(3);
    expect(cf.folds.reduce((s, f) => s + f.heldRows, 0)).toBe(data.rows.length);
    for (const f of cf.folds) expect(f.trainRows + f.heldRows).toBe(data.rows.length);
    const oof = cf.outOfFoldProbabilities(data)!;
    expect(oof).toHaveLength(data.rows.length);
    // 1-NN fitted on all rows finds each row itself: its coin label comes back; out of fold it is a coin toss.
    await trainClassifier({ data, outDir: join(dir, 'in-sample'), embedder, ...train });
    const inSample = await LearnedClassifier.load(join(dir, 'in-sample'), { embedder });
    const seen = await inSample.probabilities(replayInputs(policy, data), loaded.policy.models);
    await inSample.close();
    expect(coinAgreement(seen, data.rows)).toBeGreaterThan(0.9);
    expect(coinAgreement(oof, data.rows)).toBeLessThan(0.7);

    // Other rows (even equal ones in a new array) are refused, never classified in-sample.
    await expect(buildReplayItems(policy, { ...data, rows: [...data.rows] }, cf)).rejects.toBeInstanceOf(RoutingEvaluationError);
    await cf.close();

    // A usable router (10 neighbours), evaluated on every row's out-of-fold prediction.
    const cf10 = await crossFitClassifier(policy, data, { embedder, folds: 3, seed: 2, scale: 'utility', train: { ...train, knnK: [10] } });
    const e = await evaluateFrontier(policy, data, { router: cf10, rules: new RulesClassifier() }, { bootstrap: 50 });
    await cf10.close();
    const r = e.routers.router!;
    expect(e.n).toBe(data.rows.length);
    expect(r.outOfFold).toBe(true);
    expect(r.classifier).toMatch(/^cross-fit 3 folds \(knn\)\/utility$/);
    expect(r.aiq).toBeGreaterThan(e.zeroRouter.aiq);
    expect(r.ciPaired.gapRecovered.lo!).toBeGreaterThan(0);
  }, 120_000);

  it('refuses fewer than 2 folds or too few rows', async () => {
    const { policy } = await policyFor();
    const data = parseLabeledCsv(dataset(6, 3), 'tiny.csv');
    await expect(crossFitClassifier(policy, data, { embedder, folds: 1 })).rejects.toThrow(/folds must be an integer ≥ 2/);
    await expect(crossFitClassifier(policy, data, { embedder, folds: 5 })).rejects.toThrow(/needs at least 10 rows/);
  });
});
