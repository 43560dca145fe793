import { describe, expect, it } from 'vitest';
import { compileCapacity } from '../../engine/capacity.js';
import { pricesFromSpec } from '../../engine/compiled-policy.js';
import { type CostBasis, fullCost, plainFullCost } from '../../engine/cost.js';

/**
 * `plainFullCost` is `fullCost(...).full` for a usage without cache reads, cache writes or a service tier,
 * written in scalars because the router and the reservation size price every candidate of every request
 * with it. It must agree to the micro-dollar, long-context tiers, infra, capacity and ops included.
 */
describe('plainFullCost', () => {
  const bases: [string, CostBasis][] = [
    ['vendor, long-context tier', { price: pricesFromSpec({ inputPerM: 1.25, outputPerM: 10, cachedInputPerM: 0.3125, tiers: [{ above: 200_000, inputPerM: 2.5, outputPerM: 15, cachedInputPerM: 0.625 }] }), infraPerM: 0, gpuHoursPerM: 0, opsBps: 150, opsPerM: 7 }],
    ['cheap vendor with cache-write rates', { price: pricesFromSpec({ inputPerM: 0.075, outputPerM: 0.3, cachedInputPerM: 0.0375, cacheWritePerM: 0.09, cacheWrite1hPerM: 0.15 }), infraPerM: 0, gpuHoursPerM: 0, opsBps: 0, opsPerM: 0 }],
    ['self-hosted infra per token', { price: pricesFromSpec({ inputPerM: 0, outputPerM: 0 }), infraPerM: 289_352, gpuHoursPerM: 0.1157, opsBps: 1_000, opsPerM: 13 }],
    [
      'self-hosted capacity curve',
      {
        price: pricesFromSpec({ inputPerM: 0, outputPerM: 0 }),
        infraPerM: 0,
        gpuHoursPerM: 0,
        opsBps: 500,
        opsPerM: 0,
        capacity: compileCapacity({ capacity: { gpusPerReplica: 1, gpuHourlyUsd: 2.5, replicas: { min: 1, max: 2, scaleUpQueue: 1, scaleDownIdleMinutes: 10 }, throughput: [{ batch: 1, prefillTokensPerSecond: 9_000, decodeTokensPerSecond: 80 }, { batch: 16, prefillTokensPerSecond: 40_000, decodeTokensPerSecond: 900 }], windowMinutes: 60, idleCost: 'separate' } })!,
      },
    ],
  ];

  for (const [name, basis] of bases) {
    it(`equals fullCost().full: ${name}`, () => {
      for (let i = 0; i < 3_000; i++) {
        const input = (i * 7_919) % 400_000;
        const output = (i * 104_729) % 9_000;
        expect(plainFullCost(basis, input, output)).toBe(fullCost(basis, { inputTokens: input, outputTokens: output, cachedInputTokens: 0 }).full);
      }
    });
  }
});
