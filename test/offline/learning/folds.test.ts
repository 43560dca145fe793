import { describe, expect, it } from 'vitest';
import { foldOf, outOfFold } from '../../../offline/learning/folds.js';
import { TrafficRank } from '../../../adapters/classifiers/learned/traffic-rank.js';

/** Mulberry32 uniforms, for synthetic traffic. */
function uniforms(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('out-of-fold calibration', () => {
  it('subject folds keep each subject whole; random folds when there are too few subjects; deterministic', () => {
    const subjects = Array.from({ length: 120 }, (_, i) => `s${i % 12}`);
    const a = foldOf(120, 5, 3, subjects);
    expect(a.by).toBe('subject');
    for (const s of new Set(subjects)) expect(new Set(subjects.flatMap((x, i) => (x === s ? [a.fold[i]] : []))).size).toBe(1);
    expect([...foldOf(120, 5, 3, subjects).fold]).toEqual([...a.fold]);
    expect([...foldOf(120, 5, 4, subjects).fold]).not.toEqual([...a.fold]);
    const r = foldOf(120, 5, 3, subjects.map((s) => (s === 's0' ? 'a' : 'b')));
    expect(r.by).toBe('random');
    expect(new Set(r.fold).size).toBe(5);
  });

  it('every row is predicted exactly once, by a fit that never saw it', () => {
    const subjects = Array.from({ length: 60 }, (_, i) => `s${i % 7}`);
    const predicted = new Array(60).fill(0);
    const c = outOfFold(60, 5, 1, (fit, held) => {
      const seen = new Set(fit);
      for (const i of held) {
        expect(seen.has(i)).toBe(false);
        expect(fit.some((j) => subjects[j] === subjects[i])).toBe(false); // unseen subject, like new traffic
        predicted[i]++;
      }
      return held.map((i) => [i / 100, 1 - i / 100]);
    }, subjects);
    expect(predicted.every((n) => n === 1)).toBe(true);
    expect(c.probabilities[42]).toEqual([0.42, 0.58]);
    expect(c).toMatchObject({ folds: 5, by: 'subject' });
  });
});

describe('traffic-rank scale', () => {
  it('ranks against the window, then adds to it', () => {
    const r = new TrafficRank(4, [[0.1, 0.2, 0.3, 0.4]]);
    expect(r.rankAndAdd(0, 0.25)).toBe(0.5); // 0.1, 0.2 below
    expect(r.rankAndAdd(0, 0)).toBe(0); // nothing below 0: the weak model's quality stays 1
    expect(new TrafficRank(3, [[]]).rankAndAdd(0, 0.5)).toBe(0); // empty window
  });

  it('holds the share above a floor when traffic drifts away from the seed distribution (a fixed threshold does not)', () => {
    const u = uniforms(9);
    const seeds = Array.from({ length: 1000 }, () => u()); // training-like shortfalls: U(0, 1)
    const rank = new TrafficRank(300, [seeds]);
    const fixed = 0.7; // the threshold that sends 30% of the seed distribution to the strong model
    let byRank = 0;
    let byThreshold = 0;
    const n = 20_000; // long against the window: the share lags only while a window of 300 refills
    for (let i = 0; i < n; i++) {
      const shortfall = (i < n / 2 ? 0.5 : 0.2) * u(); // new traffic, two regimes, both unlike the seeds
      if (1 - rank.rankAndAdd(0, shortfall) < 0.3) byRank++; // quality below floor 0.3 → strong model
      if (shortfall > fixed) byThreshold++;
    }
    expect(byThreshold / n).toBe(0);
    expect(Math.abs(byRank / n - 0.3)).toBeLessThanOrEqual(0.02);
  });
});
