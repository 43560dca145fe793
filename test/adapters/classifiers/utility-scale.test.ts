import { describe, expect, it } from 'vitest';
import { promptFeatures, featureNames } from '../../../adapters/classifiers/learned/features.js';
import { viewText } from '../../../adapters/classifiers/learned/text-view.js';
import { utilityQualities } from '../../../adapters/classifiers/learned/utility.js';

describe('utility scale', () => {
  it('hand case: hull qualities from the slopes', () => {
    // A (cost 1, p .5) → B (2, .7): slope .2; B → C (10, .9): slope .025; c_max 10.
    const q = utilityQualities([0.5, 0.7, 0.9], [1, 2, 10]);
    expect(q[0]).toBeCloseTo(1 / 3, 12);
    expect(q[1]).toBeCloseTo(0.8, 12);
    expect(q[2]).toBe(1);
    // A model off the hull (dearer and no better) gets 0.
    expect(utilityQualities([0.5, 0.4, 0.9], [1, 2, 10])[1]).toBe(0);
  });

  it('the cheapest model with quality ≥ f is the one maximising p − λ·cost at λ = (1/f − 1)/c_max', () => {
    let s = 7;
    const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let trial = 0; trial < 300; trial++) {
      const n = 2 + Math.floor(r() * 9);
      const p = Array.from({ length: n }, () => Math.round(r() * 100) / 100);
      const cost = Array.from({ length: n }, () => 1 + Math.round(r() * 1000));
      const q = utilityQualities(p, cost);
      const cMax = Math.max(...cost);
      for (const f of [0.05, 0.2, 0.5, 0.8, 0.95, 0.999]) {
        const lambda = (1 / f - 1) / cMax;
        const cheapest = q.map((x, i) => i).filter((i) => q[i]! >= f).sort((a, b) => cost[a]! - cost[b]! || q[b]! - q[a]!)[0]!;
        const best = Math.max(...p.map((x, i) => x - lambda * cost[i]!));
        expect(p[cheapest]! - lambda * cost[cheapest]!).toBeCloseTo(best, 9);
      }
    }
  });
});

describe('text view and prompt features', () => {
  it('tail keeps the end of a long prompt from a line break; short prompts stay whole', () => {
    const prefix = Array.from({ length: 50 }, (_, i) => `Example ${i}: question and answer.`).join('\n');
    const text = `${prefix}\nFinal question: which planet is largest?`;
    const tail = viewText(text, { kind: 'tail', chars: 200 });
    expect(tail.length).toBeLessThanOrEqual(200);
    expect(tail.endsWith('which planet is largest?')).toBe(true);
    expect(tail.startsWith('Example')).toBe(true);
    expect(viewText('short', { kind: 'tail', chars: 200 })).toBe('short');
    expect(viewText(text, { kind: 'full' })).toBe(text);
  });

  it('features: length, rules task one-hot, markers, turns', () => {
    const f = promptFeatures('```python\ndef f(x):\n  return x * 2\n```', 20, 1, { task: 'code', complexity: 0.3 });
    const names = featureNames();
    expect(f).toHaveLength(names.length);
    const at = (n: string) => f[names.indexOf(n)];
    expect(at('code_marker')).toBe(1);
    expect(at('task_code')).toBe(1);
    expect(at('task_chat')).toBe(0);
    expect(at('complexity')).toBe(0.3);
    expect(at('turns')).toBe(0);
    for (const x of f) expect(x >= 0 && x <= 1).toBe(true);
  });
});
