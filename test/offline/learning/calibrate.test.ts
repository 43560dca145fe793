import { describe, expect, it } from 'vitest';
import { choosePoint, parseTarget, usdPer1MTokens } from '../../../offline/learning/calibrate.js';

const pts = [
  { threshold: 0, strongShare: 0, quality: 0.6, cost: 100, tokens: 100 },
  { threshold: 0.5, strongShare: 0.28, quality: 0.7, cost: 400, tokens: 100 },
  { threshold: 0.7, strongShare: 0.33, quality: 0.74, cost: 450, tokens: 100 },
  { threshold: 1, strongShare: 1, quality: 0.78, cost: 1000, tokens: 100 },
];

describe('tune targets', () => {
  it('parses the three target kinds and rejects others', () => {
    expect(parseTarget('strong-share=0.3')).toEqual({ kind: 'strong-share', value: 0.3 });
    expect(parseTarget('quality=0.95')).toEqual({ kind: 'quality', value: 0.95 });
    expect(parseTarget('max-cost-per-1m=2.5')).toEqual({ kind: 'max-cost-per-1m', value: 2.5 });
    expect(() => parseTarget('strong-share=3')).toThrow(/\[0, 1\]/);
    expect(() => parseTarget('speed=1')).toThrow(/--target must be/);
  });

  it('picks the point meeting each target', () => {
    expect(choosePoint(pts, parseTarget('strong-share=0.3'), pts[3]!).threshold).toBe(0.5);
    expect(choosePoint(pts, parseTarget('quality=0.95'), pts[3]!).threshold).toBe(1); // .741 > .74
    expect(choosePoint(pts, parseTarget('quality=0.94'), pts[3]!).threshold).toBe(0.7); // ≥ .7332
    expect(usdPer1MTokens(pts[1]!)).toBe(4);
    expect(choosePoint(pts, parseTarget('max-cost-per-1m=4.2'), pts[3]!).threshold).toBe(0.5);
    expect(() => choosePoint(pts, parseTarget('max-cost-per-1m=0.5'), pts[3]!)).toThrow(/no threshold costs/);
  });
});
