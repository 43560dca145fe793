import { describe, expect, it } from 'vitest';
import { compileCapacity, gpuSecondsOf, serviceMsOf, throughputAt } from '../../engine/capacity.js';
import { fullCost, infraMicrosPerMillion } from '../../engine/cost.js';
import { compilePolicy } from '../../engine/compiled-policy.js';
import { GenaiPricesCatalog } from '../../adapters/genai-prices-catalog.js';
import { resolvePolicy } from '../../policies/loader.js';
import { createTollgate } from '../../index.js';
import { SimulatedAdapter } from '../../adapters/simulated-adapter.js';
import { NullDecisionSink } from '../../index.js';

const capacity = {
  gpusPerReplica: 2,
  gpuHourlyUsd: 3.6,
  replicas: 1,
  throughput: [
    { batch: 1, prefillTokensPerSecond: 4000, decodeTokensPerSecond: 50 },
    { batch: 9, prefillTokensPerSecond: 8000, decodeTokensPerSecond: 450 },
  ],
};
const cap = compileCapacity({ capacity: { ...capacity, windowMinutes: 60, idleCost: 'separate' } })!;

describe('compiled capacity', () => {
  it('interpolates the curve linearly and clamps outside it', () => {
    expect(throughputAt(cap, 1)).toEqual({ prefill: 4000, decode: 50 });
    expect(throughputAt(cap, 5)).toEqual({ prefill: 6000, decode: 250 });
    expect(throughputAt(cap, 0)).toEqual({ prefill: 4000, decode: 50 });
    expect(throughputAt(cap, 64)).toEqual({ prefill: 8000, decode: 450 });
    expect(cap.maxBatch).toBe(9);
  });

  it('GPU-seconds: prompt at the prefill rate, output at the decode rate, times the replica GPUs', () => {
    expect(gpuSecondsOf(cap, 8000, 450)).toBeCloseTo(2 * (1 + 1), 12); // default: the best (largest) batch
    expect(gpuSecondsOf(cap, 4000, 50, 1)).toBeCloseTo(2 * (1 + 1), 12);
    // Service time: a batch of b shares the aggregate rate b ways.
    expect(serviceMsOf(cap, 4000, 50, 1)).toBeCloseTo(2000, 9);
    expect(serviceMsOf(cap, 8000, 450, 9)).toBeCloseTo(9 * 2000, 9);
  });

  it('infra.tokensPerSecond is the one-point curve: provisional cost equals the old per-token price', () => {
    const c = compileCapacity({ infra: { gpuHourlyUsd: 2.5, gpus: 1, tokensPerSecond: 2400 } })!;
    expect(c).toMatchObject({ source: 'infra', batches: [1], prefill: [2400], decode: [2400], minReplicas: 1, maxReplicas: 1, idleCost: 'separate', windowMs: 3_600_000 });
    const tokens = 1_000_000;
    const viaCurve = (gpuSecondsOf(c, tokens / 2, tokens / 2) * c.gpuHourlyMicros) / 3600;
    expect(Math.round(viaCurve)).toBe(infraMicrosPerMillion(2.5, 1, 2400));
  });

  it('a capacity model: records carry GPU-seconds and the provisional infra cost at the best throughput', async () => {
    const loaded = resolvePolicy({
      name: 'cap',
      models: [
        { id: 'local', tier: 'local-gpu', adapter: 'simulated', contextWindow: 32768, quality: 0.9, capacity },
        { id: 'vendor', tier: 'vendor', adapter: 'simulated', contextWindow: 32768, quality: 0.9, prices: { inputPerM: 10, outputPerM: 30 } },
      ],
    });
    const compiled = compilePolicy(loaded, new GenaiPricesCatalog());
    const basis = compiled.byId.get('local')!.basis;
    // 8000 prompt + 450 output tokens at batch 9 = 2 replica-seconds × 2 GPUs = 4 GPU-s at $3.60/h = $0.004.
    expect(fullCost(basis, { inputTokens: 8000, outputTokens: 450, cachedInputTokens: 0 }).infra).toBe(4000);
    const tollgate = createTollgate({ policy: loaded, adapters: { simulated: new SimulatedAdapter(1) }, decisionLog: new NullDecisionSink() });
    const answer = await tollgate.complete({ tenant: 't', messages: [{ role: 'user', content: 'hello there, summarize this' }], maxOutputTokens: 50 });
    await tollgate.close();
    expect(answer.model).toBe('local');
    const r = answer.record;
    expect(r.gpuSeconds).toBeCloseTo(2 * (r.tokens.input / 8000 + r.tokens.output / 450), 12);
    expect(r.cost.infra).toBe(Math.round((r.gpuSeconds! * 3_600_000) / 3600));
  });
});
