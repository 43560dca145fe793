import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LearnedClassifier, qualityFromProbabilities } from '../../../adapters/classifiers/learned-classifier.js';
import { trainClassifier } from '../../../adapters/classifiers/learned/train.js';
import { createEmbedder, type Embedder } from '../../../embeddings/index.js';
import { readLabeledCsv } from '../../../engine/routing-eval/labeled-csv.js';
import { auc } from '../../../engine/routing-eval/metrics.js';
import type { ModelSpec } from '../../../policies/schema.js';

const FIX = join(import.meta.dirname, '../../fixtures/routing');
const WEAK = 'mistralai/Mixtral-8x7B-Instruct-v0.1';
const STRONG = 'gpt-4-1106-preview';
const models = [{ id: WEAK, quality: 0.65 }, { id: STRONG, quality: 0.78 }] as ModelSpec[];
const input = (text: string) => ({ request: { tenant: 't', messages: [{ role: 'user' as const, content: text }] }, text, promptTokens: 50 });

let dir: string;
let embedder: Embedder;
const train = readLabeledCsv(join(FIX, 'mmlu_train_sample.csv'), [WEAK, STRONG]);
const heldOut = readLabeledCsv(join(FIX, 'mmlu_eval_sample.csv'), [WEAK, STRONG]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-learned-'));
  embedder = await createEmbedder();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function gainAuc(artifact: string): Promise<number> {
  const c = await LearnedClassifier.load(artifact, { embedder });
  const out = await c.classifyMany(heldOut.rows.map((r) => input(r.prompt)), models);
  await c.close();
  // relative quality: weak = 1 − predicted gain, so the gain score is 1 − quality[weak]
  return auc(out.map((o) => 1 - o.quality[WEAK]!), heldOut.rows.map((r) => r.scores[STRONG]! > r.scores[WEAK]!));
}

describe('learned classifier', () => {
  it('training is deterministic: same seed → same manifest version (both methods)', async () => {
    for (const method of ['logreg', 'knn'] as const) {
      const a = await trainClassifier({ data: train, outDir: join(dir, `${method}-a`), embedder, method, seed: 3 });
      const b = await trainClassifier({ data: train, outDir: join(dir, `${method}-b`), embedder, method, seed: 3 });
      expect(a.version).toBe(b.version);
      expect(readFileSync(join(dir, `${method}-a`, 'manifest.json'), 'utf8')).toBe(readFileSync(join(dir, `${method}-b`, 'manifest.json'), 'utf8'));
      expect(a.method).toBe(method);
    }
  });

  it('--method both keeps the method with the better held-out APGR and reports both', async () => {
    const m = await trainClassifier({ data: train, outDir: join(dir, 'both'), embedder, method: 'both', seed: 3 });
    const v = m.metrics.validation;
    expect(v.knn && v.logreg).toBeTruthy();
    expect(m.method).toBe(v.knn!.apgr >= v.logreg!.apgr ? 'knn' : 'logreg');
  });

  it('beats chance on unseen subjects: AUC of predicted gain vs actual gain > 0.5 (logreg and kNN)', async () => {
    const lr = await gainAuc(join(dir, 'logreg-a'));
    const knn = await gainAuc(join(dir, 'knn-a'));
    expect(lr).toBeGreaterThan(0.5);
    expect(knn).toBeGreaterThan(0.5);
  });

  it('composes with the rules classifier: task/complexity from rules, quality learned, source names the artefact', async () => {
    const c = await LearnedClassifier.load(join(dir, 'logreg-a'), { embedder });
    const out = await c.classify(input('What is 2+2?\nA. 3\nB. 4\nAnswer:'), [...models, { id: 'other', quality: 0.5 } as ModelSpec]);
    expect(out.source).toBe(`logreg@${c.manifest.version}`);
    expect(out.quality[STRONG]).toBeGreaterThanOrEqual(out.quality[WEAK]! - 1);
    expect(Math.max(out.quality[WEAK]!, out.quality[STRONG]!)).toBe(1); // relative mode: the best model is 1
    expect(out.quality.other).toBeDefined(); // unknown model: the base classifier's prior
    expect(typeof out.task).toBe('string');
    await c.close();
  });

  it('qualityFromProbabilities: relative and absolute modes', () => {
    const q = qualityFromProbabilities([0.6, 0.9], { models: [WEAK, STRONG], qualityMode: 'relative' }, models, {});
    expect(q[WEAK]).toBeCloseTo(0.7, 12);
    expect(q[STRONG]).toBe(1);
    expect(qualityFromProbabilities([0.6, 0.9], { models: [WEAK, STRONG], qualityMode: 'absolute' }, models, {})[WEAK]).toBe(0.6);
  });

  it('a corrupt or mismatched artefact is a typed error at load time', async () => {
    const copy = (name: string) => {
      const d = join(dir, name);
      cpSync(join(dir, 'logreg-a'), d, { recursive: true });
      return d;
    };
    const load = (d: string, e: Embedder = embedder) => LearnedClassifier.load(d, { embedder: e });
    const corrupt = copy('corrupt');
    writeFileSync(join(corrupt, 'head.onnx'), 'not a model');
    await expect(load(corrupt)).rejects.toMatchObject({ code: 'classifier_artifact_invalid', message: expect.stringMatching(/head.onnx does not match its sha256/) });
    const edited = copy('edited');
    const m = JSON.parse(readFileSync(join(edited, 'manifest.json'), 'utf8'));
    m.embedder.dimension = 384;
    writeFileSync(join(edited, 'manifest.json'), JSON.stringify(m));
    await expect(load(edited)).rejects.toMatchObject({ code: 'classifier_artifact_invalid', message: expect.stringMatching(/does not match its version/) });
    const wrongDim = { ...embedder, modelId: embedder.modelId, modelVersion: embedder.modelVersion, dimension: 384, embed: embedder.embed.bind(embedder) } as Embedder;
    await expect(load(join(dir, 'logreg-a'), wrongDim)).rejects.toMatchObject({ code: 'classifier_artifact_invalid', message: expect.stringMatching(/256-dim/) });
    const wrongVersion = { ...wrongDim, dimension: 256, modelVersion: '9.9.9' } as Embedder;
    await expect(load(join(dir, 'knn-a'), wrongVersion)).rejects.toMatchObject({ code: 'classifier_artifact_invalid', message: expect.stringMatching(/9\.9\.9/) });
    await expect(load(join(dir, 'missing'))).rejects.toMatchObject({ code: 'classifier_artifact_invalid', message: expect.stringMatching(/manifest.json not found/) });
    await expect(LearnedClassifier.load(join(dir, 'logreg-a'), { embedder, policyModels: ['gpt-4o'] })).rejects.toMatchObject({ code: 'classifier_artifact_invalid' });
  });
});
