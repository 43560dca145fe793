/**
 * End to end on synthetic N-model data with real costs: two cheap specialists (one right on code
 * prompts, one on history prompts) and one dear generalist. The zero router can only mix models
 * blindly; a router that reads the prompt sends each prompt to its specialist. Trained on 70%,
 * evaluated on the other 30%.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LearnedClassifier } from '../../../adapters/classifiers/learned-classifier.js';
import { GenaiPricesCatalog } from '../../../adapters/genai-prices-catalog.js';
import { RulesClassifier } from '../../../adapters/classifiers/rules-classifier.js';
import { createEmbedder } from '../../../embeddings/index.js';
import { compilePolicy } from '../../../engine/compiled-policy.js';
import { evaluateFrontier } from '../../../offline/learning/evaluate-frontier.js';
import { parseLabeledCsv } from '../../../offline/learning/labeled-csv.js';
import { trainClassifier } from '../../../offline/learning/train.js';
import { loadPolicy } from '../../../policies/loader.js';
import { codeHistoryCsv } from '../../support/code-history-dataset.js';

const CODE = ['Write a python function that reverses a linked list', 'Fix the bug in this javascript loop', 'Refactor the sql query to use a join', 'Implement binary search in typescript', 'Write a regex that matches email addresses', 'Explain this python stack trace'];
const HIST = ['In what year did the Roman empire fall', 'Who led the French revolution armies', 'Why did the Ottoman empire decline', 'When was the Magna Carta signed by the king', 'Which dynasty built the Great Wall of China', 'What caused the first world war in Europe'];
const SPECS = [
  { name: 'code-small', right: { code: 0.9, history: 0.15 }, cost: '0.00001' },
  { name: 'hist-small', right: { code: 0.15, history: 0.9 }, cost: '0.00001' },
  { name: 'generalist', right: { code: 0.93, history: 0.93 }, cost: '0.0001' },
];
const dataset = (n: number, seed: number): string => codeHistoryCsv(n, seed, { code: CODE, history: HIST, models: SPECS });
const MODELS = SPECS.map((m) => m.name);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-nmodel-'));
});

describe('N-model learned router (synthetic specialists)', () => {
  it('trains on 70%, and on the held-out 30% beats the zero router and the rules classifier (paired intervals)', async () => {
    const all = parseLabeledCsv(dataset(400, 11), 'synthetic.csv');
    const train = { ...all, rows: all.rows.slice(0, 280) };
    const test = { ...all, rows: all.rows.slice(280) };
    const embedder = await createEmbedder();
    const manifest = await trainClassifier({ data: train, outDir: join(dir, 'router'), embedder, method: 'both', seed: 1 });
    expect(manifest.models).toEqual(MODELS);
    expect(manifest.costs).toEqual([10, 10, 100]);
    expect(manifest.metrics.selectedBy).toMatch(/zero-router → oracle AIQ gap/);
    expect(manifest.metrics.candidates!.length).toBeGreaterThan(4);
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, [
      'name: synthetic',
      'models:',
      ...MODELS.map((id, i) => `  - { id: ${id}, tier: vendor, adapter: openai-compatible, endpoint: http://127.0.0.1:1/v1, contextWindow: 8000, quality: ${[0.52, 0.52, 0.93][i]}, prices: { inputPerM: ${[1, 1, 10][i]}, outputPerM: ${[1, 1, 10][i]} } }`),
      'rules:',
      `  - { name: any, models: [${MODELS.join(', ')}], qualityFloor: 0.9 }`,
      'classifier: { kind: learned, artifact: ./router, scale: utility }',
      '',
    ].join('\n'));
    const loaded = await loadPolicy(policyFile);
    const policy = compilePolicy(loaded, new GenaiPricesCatalog());
    const router = await LearnedClassifier.load(join(dir, 'router'), { embedder, policyModels: MODELS, models: loaded.policy.models, scale: 'utility' });
    const e = await evaluateFrontier(policy, test, { router, rules: new RulesClassifier() }, { bootstrap: 100 });
    await router.close();
    const r = e.routers.router!;
    const rules = e.routers.rules!;
    expect(e.costSource).toBe('data');
    expect(r.aiq).toBeGreaterThan(e.zeroRouter.aiq);
    expect(r.ciPaired.gapRecovered.lo!).toBeGreaterThan(0.3);
    expect(r.ciPaired.gapRecovered.lo!).toBeGreaterThan(rules.ciPaired.gapRecovered.hi!);
    expect(r.costAt95).not.toBeNull();
    expect(r.costAt95!).toBeLessThan(e.zeroRouter.costAt95 ?? Number.POSITIVE_INFINITY);
    for (const p of r.points) expect(p.quality).toBeLessThanOrEqual(1);
  });
});
