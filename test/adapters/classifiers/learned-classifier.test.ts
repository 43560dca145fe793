import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LearnedClassifier, qualityFromProbabilities } from '../../../adapters/classifiers/learned-classifier.js';
import { manifestVersion } from '../../../adapters/classifiers/learned/artifact.js';
import { trainClassifier } from '../../../offline/learning/train.js';
import { createEmbedder, type Embedder } from '../../../embeddings/index.js';
import { readLabeledCsv } from '../../../offline/learning/labeled-csv.js';
import { auc } from '../../../offline/learning/metrics.js';
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
      // Small grids keep this fast; determinism does not depend on their size.
      const grids = { views: [{ kind: 'full' as const }], knnK: [30, 100], logregL2: [0.1, 0.3] };
      const a = await trainClassifier({ data: train, outDir: join(dir, `${method}-a`), embedder, method, seed: 3, ...grids });
      const b = await trainClassifier({ data: train, outDir: join(dir, `${method}-b`), embedder, method, seed: 3, ...grids });
      expect(a.version).toBe(b.version);
      expect(readFileSync(join(dir, `${method}-a`, 'manifest.json'), 'utf8')).toBe(readFileSync(join(dir, `${method}-b`, 'manifest.json'), 'utf8'));
      expect(a.method).toBe(method);
    }
  });

  it('--method both keeps the method with the better out-of-fold APGR and reports every candidate', async () => {
    const m = await trainClassifier({ data: train, outDir: join(dir, 'both'), embedder, method: 'both', seed: 3 });
    const v = m.metrics.validation;
    expect(v.knn && v.logreg).toBeTruthy();
    expect(m.method).toBe(v.knn!.apgr >= v.logreg!.apgr ? 'knn' : 'logreg');
    // Every candidate scored on all rows, out of fold: views × (the k that fit + 7 L2 × with/without features).
    const views = new Set(m.metrics.candidates!.map((c) => c.view));
    expect(m.metrics.candidates!.length).toBeGreaterThanOrEqual(views.size * (1 + 14));
    expect(m.training.validationRows).toBe(train.rows.length);
    for (const c of m.metrics.candidates!) expect(c.score).toBeLessThanOrEqual(Math.max(v.knn!.score!, v.logreg!.score!));
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

  it('stores out-of-fold predictions of every training row and replays them only for exactly that data', async () => {
    const c = await LearnedClassifier.load(join(dir, 'knn-a'), { embedder });
    expect(c.manifest.calibration).toEqual({ folds: 5, by: 'subject' });
    const oof = c.outOfFoldProbabilities(train)!;
    expect(oof).toHaveLength(train.rows.length);
    expect(oof.every((p) => p.length === 2 && p.every((x) => x >= 0 && x <= 1))).toBe(true);
    expect(c.outOfFoldProbabilities(heldOut)).toBeUndefined();
    const relabeled = { ...train, rows: train.rows.map((r, i) => (i === 0 ? { ...r, scores: { ...r.scores, [WEAK]: 1 - r.scores[WEAK]! } } : r)) };
    expect(c.outOfFoldProbabilities(relabeled)).toBeUndefined();
    // In-sample kNN predictions nearly reproduce the labels (each row is its own nearest neighbour); out-of-fold ones do not.
    const inSample = await c.classifyMany(train.rows.map((r) => input(r.prompt)), models);
    const gainAucOf = (gain: number[]) => auc(gain, train.rows.map((r) => r.scores[STRONG]! > r.scores[WEAK]!));
    expect(gainAucOf(inSample.map((o) => 1 - o.quality[WEAK]!))).toBeGreaterThan(0.95);
    expect(gainAucOf(oof.map((p) => p[1]! - p[0]!))).toBeLessThan(0.8);
    await c.close();
  });

  it('traffic-rank scale: quality is the rank among recent requests; needs calibration data', async () => {
    const c = await LearnedClassifier.load(join(dir, 'knn-a'), { embedder, scale: 'traffic-rank', rankWindow: 50 });
    expect(c.source).toBe(`knn@${c.manifest.version}/rank`);
    const out = await c.classifyMany(heldOut.rows.map((r) => input(r.prompt)), models);
    expect(out.every((o) => Math.max(o.quality[STRONG]!, o.quality[WEAK]!) === 1 && o.quality[WEAK]! >= 0)).toBe(true); // the best model: nothing ranks below a shortfall of 0
    const strongShare = (floor: number) => out.filter((o) => o.quality[WEAK]! < floor).length / out.length;
    expect(Math.abs(strongShare(0.3) - 0.3)).toBeLessThanOrEqual(0.06); // 200 prompts against a window of 50
    await c.close();
    const old = join(dir, 'no-calibration');
    cpSync(join(dir, 'knn-a'), old, { recursive: true });
    const m = JSON.parse(readFileSync(join(old, 'manifest.json'), 'utf8'));
    delete m.calibration;
    delete m.files['calibration.json'];
    m.version = manifestVersion(m);
    writeFileSync(join(old, 'manifest.json'), JSON.stringify(m));
    await expect(LearnedClassifier.load(old, { embedder })).resolves.toBeDefined(); // the probability scale does not need it
    await expect(LearnedClassifier.load(old, { embedder, scale: 'traffic-rank' })).rejects.toMatchObject({ code: 'classifier_artifact_invalid', message: expect.stringMatching(/calibration\.json/) });
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
