import { describe, expect, it } from 'vitest';
import { fitOutputLength, OutputLengthModel, quantile } from '../../../adapters/classifiers/learned/output-length.js';

describe('output-length model', () => {
  it('per-task median and p95 of actual output tokens; thin tasks fall back', () => {
    const obs = Array.from({ length: 100 }, (_, i) => ({ task: 'code', predicted: 450, actual: i + 1 }));
    obs.push({ task: 'chat', predicted: 200, actual: 10 });
    const data = fitOutputLength(obs, 20);
    expect(data.byTask.code).toEqual({ n: 100, median: 50, p95: 95, ratio: 0.111 });
    const m = new OutputLengthModel(data);
    expect(m.predict('code', { predicted: 450, upper: 1500 })).toEqual({ predicted: 50, upper: 95 });
    expect(m.predict('chat', { predicted: 200, upper: 700 })).toEqual({ predicted: 200, upper: 700 });
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
  });
});
