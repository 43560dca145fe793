import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GenaiPricesCatalog } from '../../../adapters/genai-prices-catalog.js';
import { RulesClassifier } from '../../../adapters/classifiers/rules-classifier.js';
import { compilePolicy } from '../../../engine/compiled-policy.js';
import { RoutingEvaluationError } from '../../../offline/learning/errors.js';
import { evaluateFrontier, interval } from '../../../offline/learning/evaluate-frontier.js';
import { averageQuality, costAtQuality, oracleChoices, pointOf, upperHull } from '../../../offline/learning/frontier.js';
import { readLabeledCsv } from '../../../offline/learning/labeled-csv.js';
import { loadPolicy } from '../../../policies/loader.js';

const FIX = join(import.meta.dirname, '../../fixtures/routing');

// Hand-computed fixture (three-models.csv): A costs 10 µ$, B 20 µ$, C 100 µ$ on every prompt.
// Labels on the 4 complete rows: A 1000 (0.25), B 1100 (0.50), C 1110 (0.75). Target = 0.95 × 0.75 = 0.7125.
// Zero router: hull (10, .25) (20, .5) (100, .75); cost at 0.7125 = 20 + 0.85 × 80 = 88.
//   AIQ over [10, 100] = (10 × .375 + 80 × .625) / 90 = 53.75 / 90.
// Oracle: p1 → A, p2 → B, p3 → C, p4 → A (nobody right: cheapest): hull (10, .25) (12.5, .5) (35, .75);
//   cost at 0.7125 = 12.5 + 0.85 × 22.5 = 31.625; AIQ = (2.5 × .375 + 22.5 × .625 + 65 × .75) / 90 = 63.75 / 90.
describe('cost–quality frontier (hand-computed)', () => {
  const quality = [
    [1, 1, 1],
    [0, 1, 1],
    [0, 0, 1],
    [0, 0, 0],
  ];
  const cost = quality.map(() => [10, 20, 100]);

  it('zero router: hull of the single models, cost at 95% and AIQ', () => {
    const singles = [0, 1, 2].map((m) => pointOf(new Int32Array(4).fill(m), quality, cost));
    expect(singles).toEqual([{ cost: 10, quality: 0.25 }, { cost: 20, quality: 0.5 }, { cost: 100, quality: 0.75 }]);
    const hull = upperHull(singles);
    expect(hull).toHaveLength(3);
    expect(costAtQuality(hull, 0.7125)).toBeCloseTo(88, 9);
    expect(costAtQuality(hull, 0.8)).toBeNull();
    expect(averageQuality(hull, 10, 100)).toBeCloseTo(53.75 / 90, 12);
    // A dominated or under-the-hull point is dropped.
    expect(upperHull([...singles, { cost: 50, quality: 0.55 }, { cost: 120, quality: 0.7 }])).toEqual(hull);
  });

  it('oracle: cheapest right model per prompt, every λ', () => {
    const hull = upperHull(oracleChoices(quality, cost).map((ch) => pointOf(ch, quality, cost)));
    expect(hull).toEqual([{ cost: 10, quality: 0.25 }, { cost: 12.5, quality: 0.5 }, { cost: 35, quality: 0.75 }]);
    expect(costAtQuality(hull, 0.7125)).toBeCloseTo(31.625, 9);
    expect(averageQuality(hull, 10, 100)).toBeCloseTo(63.75 / 90, 12);
  });

  it('interval: percentiles, null for never reached', () => {
    expect(interval(Array.from({ length: 101 }, (_, i) => i))).toEqual({ lo: 3, hi: 98 });
    expect(interval([1, 2, null, null, null]).hi).toBeNull();
  });
});

describe('evaluateFrontier on the three-model fixture', () => {
  it('scores from labels and the data costs; skips the row with empty labels; intervals contain the figures', async () => {
    const loaded = await loadPolicy(join(FIX, 'three-models.yaml'));
    const policy = compilePolicy(loaded, new GenaiPricesCatalog());
    const data = readLabeledCsv(join(FIX, 'three-models.csv'));
    expect(data.emptyCells).toBe(2);
    const e = await evaluateFrontier(policy, data, { rules: new RulesClassifier() }, { bootstrap: 100 });
    expect(e.n).toBe(4);
    expect(e.dropped).toBe(1);
    expect(e.costSource).toBe('data');
    expect(e.bestModel).toBe('model-c');
    expect(e.target).toBeCloseTo(0.7125, 12);
    expect(e.zeroRouter.costAt95).toBeCloseTo(88, 9);
    expect(e.zeroRouter.aiq).toBeCloseTo(53.75 / 90, 12);
    expect(e.oracle.costAt95).toBeCloseTo(31.625, 9);
    expect(e.oracle.aiq).toBeCloseTo(63.75 / 90, 12);
    expect(e.singles.map((s) => s.costAt95)).toEqual([null, null, 100]);
    expect(e.random).toEqual({ cost: expect.closeTo(130 / 3, 9), quality: expect.closeTo(0.5, 12) });
    const r = e.routers.rules!;
    // Every router figure lies between the worst single model and the oracle.
    expect(r.maxQuality).toBeLessThanOrEqual(e.oracle.maxQuality + 1e-12);
    for (const p of r.points) expect(p.quality).toBeLessThanOrEqual(1);
    expect(e.zeroRouter.ci.aiq.lo!).toBeLessThanOrEqual(e.zeroRouter.aiq);
    expect(e.zeroRouter.ci.aiq.hi!).toBeGreaterThanOrEqual(e.zeroRouter.aiq);
  });

  it('refuses a rule that can route to a model without labels (no figure from predictions)', async () => {
    const loaded = await loadPolicy(join(FIX, 'three-models.yaml'));
    const policy = compilePolicy(loaded, new GenaiPricesCatalog());
    const data = readLabeledCsv(join(FIX, 'three-models.csv'), { models: ['model-a', 'model-b'] });
    const run = evaluateFrontier(policy, data, { rules: new RulesClassifier() }, { bootstrap: 0 });
    await expect(run).rejects.toThrow(RoutingEvaluationError);
    await expect(evaluateFrontier(policy, data, { rules: new RulesClassifier() }, { bootstrap: 0 })).rejects.toThrow(/can route to model-c, which has no label column/);
  });
});
