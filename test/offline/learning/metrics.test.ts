import { describe, expect, it } from 'vitest';
import { apgr, auc, closeCurve, cpt, pgr, randomCurve, rankedCurve, routingMetrics } from '../../../offline/learning/metrics.js';

// Hand-made example: 4 requests. weak correct on #0, #1; strong correct on #0, #1, #2, #3.
// qWeak = 0.5, qStrong = 1.0. A router scoring #2, #3 highest recovers the whole gap at 50% strong share.
const weakQ = [1, 1, 0, 0];
const strongQ = [1, 1, 1, 1];
const zeros = [0, 0, 0, 0];
const ones = [1, 1, 1, 1];

describe('routing metrics', () => {
  it('PGR is the fraction of the weak→strong gap recovered', () => {
    expect(pgr(0.75, 0.5, 1)).toBe(0.5);
    expect(pgr(0.5, 0.5, 1)).toBe(0);
    expect(pgr(0.7, 0.7, 0.7)).toBe(1);
  });

  it('a perfect ranking: curve, APGR, CPTs by hand', () => {
    const curve = rankedCurve([0.1, 0.2, 0.9, 0.8], weakQ, strongQ, zeros, ones);
    // shares 0, .25, .5, .75, 1 → qualities .5, .75, 1, 1, 1
    expect(curve.map((p) => [p.strongShare, p.quality])).toEqual([[0, 0.5], [0.25, 0.75], [0.5, 1], [0.75, 1], [1, 1]]);
    const closed = closeCurve(curve, curve[0]!, curve[4]!);
    // PGR: 0, .5, 1, 1, 1 → trapezoids: .25·(0+.5)/2 + .25·(.5+1)/2 + .25 + .25 = .0625 + .1875 + .5 = .75
    expect(apgr(closed, 0.5, 1)).toBeCloseTo(0.75, 12);
    expect(cpt(closed, 0.5, 0.5, 1)).toBeCloseTo(0.25, 12);
    expect(cpt(closed, 0.8, 0.5, 1)).toBeCloseTo(0.25 + 0.25 * 0.6, 12); // PGR .5 → 1 between .25 and .5
    const m = routingMetrics(closed, 0.5, 1);
    expect(m.cpt95).toBeCloseTo(0.25 + 0.25 * 0.9, 12);
    expect(m.strongShareAt95).toBeCloseTo(0.25 + 0.25 * 0.8, 12); // quality .95 between .75 and 1
    expect(curve[2]!.cost).toBe(0.5);
  });

  it('the worst ranking and random routing', () => {
    const worst = closeCurve(rankedCurve([0.9, 0.8, 0.1, 0.2], weakQ, strongQ, zeros, ones), { strongShare: 0, quality: 0.5, cost: 0 }, { strongShare: 1, quality: 1, cost: 1 });
    // PGR 0, 0, 0, .5, 1 → .25·.25 + .25·.75 = .25
    expect(apgr(worst, 0.5, 1)).toBeCloseTo(0.25, 12);
    const random = randomCurve({ strongShare: 0, quality: 0.5, cost: 10 }, { strongShare: 1, quality: 1, cost: 110 }, 4);
    const m = routingMetrics(random, 0.5, 1);
    expect(m.apgr).toBeCloseTo(0.5, 12);
    expect(m.cpt50).toBeCloseTo(0.5, 12);
    expect(m.cpt80).toBeCloseTo(0.8, 12);
    expect(m.strongShareAt95).toBeCloseTo(0.9, 12); // quality .95 = .5 + s·.5
    expect(random[2]!.cost).toBe(60);
  });

  it('ties are routed together (one point per tie group)', () => {
    const curve = rankedCurve([1, 1, 0, 0], weakQ, strongQ, zeros, ones);
    expect(curve.map((p) => p.strongShare)).toEqual([0, 0.5, 1]);
  });

  it('AUC by hand, with ties counting one half', () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBeCloseTo(0.75, 12);
    expect(auc([1, 1], [true, false])).toBe(0.5);
    expect(auc([1, 2], [true, true])).toBeNaN();
  });
});
