import { describe, expect, it } from 'vitest';
import { compileCapacity, createTollgate, serviceMsOf } from '../../index.js';
import { loadPolicy } from '../../policies/loader.js';
import { fleetExamplePolicy } from '../../policies/bundled-files.js';

describe('decide() reports self-hosted service time (#18 item 4: explain latency)', () => {
  it('for each self-hosted candidate: alone on a replica and in a full batch, from its curve; vendors have none', async () => {
    const loaded = await loadPolicy(fleetExamplePolicy());
    const tollgate = createTollgate({ policy: loaded });
    try {
      const d = await tollgate.decide({ tenant: 'acme', messages: [{ role: 'user', content: 'Summarize this report in three bullet points: revenue grew 12% on strong demand.' }] });
      expect(d.selfHostedLatency.map((l) => l.model)).toEqual(['llama-3.1-8b-vllm']);
      const [l] = d.selfHostedLatency;
      const cap = compileCapacity(loaded.policy.models[0]!)!;
      const out = d.classification.predictedOutputTokens;
      expect(l!.maxBatch).toBe(64);
      expect(l!.aloneMs).toBeCloseTo(serviceMsOf(cap, d.promptTokens, out, 1), 1);
      expect(l!.fullBatchMs).toBeCloseTo(serviceMsOf(cap, d.promptTokens, out, 64), 1);
      expect(l!.fullBatchMs).toBeGreaterThan(l!.aloneMs); // each request gets 1/64 of the replica's rates
    } finally {
      await tollgate.close();
    }
  });
});
