import { describe, expect, it } from 'vitest';
import { batchSizeTradeoff, simulatePolicies } from '../../../offline/simulation/index.js';
import type { TraceRequest } from '../../../offline/trace/index.js';
import { resolvePolicy } from '../../../policies/loader.js';

const START = Date.parse('2026-03-02T09:00:00Z');
const curve = [
  { batch: 1, prefillTokensPerSecond: 5000, decodeTokensPerSecond: 60 },
  { batch: 4, prefillTokensPerSecond: 9000, decodeTokensPerSecond: 200 },
  { batch: 16, prefillTokensPerSecond: 14000, decodeTokensPerSecond: 640 },
];

const fleet = (throughput = curve) =>
  resolvePolicy({
    name: 'fleet',
    models: [
      { id: 'local', tier: 'local-gpu', adapter: 'simulated', contextWindow: 32768, quality: 0.8, capacity: { gpusPerReplica: 1, gpuHourlyUsd: 2.5, replicas: { min: 1, max: 12, scaleUpQueue: 1, scaleDownIdleMinutes: 2 }, throughput } },
      { id: 'vendor', tier: 'vendor', adapter: 'simulated', contextWindow: 128000, quality: 0.9, prices: { inputPerM: 2.5, outputPerM: 10 } },
    ],
    rules: [{ name: 'local', models: ['local'] }],
  });

/** 1,500 requests in 10 minutes: 2.5/s, each ~2 s of decode at batch 1. */
async function* rows(): AsyncGenerator<TraceRequest> {
  for (let i = 0; i < 1500; i++) yield { id: `r${i}`, timestamp: START + i * 400, tenant: `t${i % 3}`, promptTokens: 500 + (i % 5) * 40, outputTokens: 120, maxOutputTokens: 200, tags: [] };
}

describe('batch-size trade-off of a self-hosted model (#18)', () => {
  it('sweeps every curve point: larger batches need fewer GPU-hours, and each row is the policy simulated with the curve cut there', async () => {
    const [sweep, ...rest] = await batchSizeTradeoff({ policy: fleet(), trace: rows() });
    expect(rest).toEqual([]);
    if (process.env.SHOW) console.table(sweep!.rows);
    expect(sweep!.model).toBe('local');
    expect(sweep!.rows.map((r) => r.maxBatch)).toEqual([1, 4, 16]);
    for (const r of sweep!.rows) expect(r.requests).toBe(1500);
    const [b1, b4, b16] = sweep!.rows as [(typeof sweep)['rows'][number], (typeof sweep)['rows'][number], (typeof sweep)['rows'][number]];
    // Batch 1 needs ~5+ replicas for this load; batch 16 serves it on one or two.
    expect(b1.peakReplicas).toBeGreaterThan(b16.peakReplicas);
    expect(b16.provisionedGpuHours).toBeLessThan(b1.provisionedGpuHours);
    expect(b16.infraCostMicros).toBeLessThan(b4.infraCostMicros);
    expect(b4.infraCostMicros).toBeLessThan(b1.infraCostMicros);
    expect(b16.utilization).toBeGreaterThan(b1.utilization);
    expect(b16.busyPerMillionMicros).toBeLessThan(b1.busyPerMillionMicros);
    // The same figures as simulating the cut policy on its own.
    const direct = await simulatePolicies({ policies: [fleet(curve.slice(0, 2))], trace: rows(), queueModel: true });
    const m = direct.policies[0]!.byModel['local']!;
    expect(b4.infraCostMicros).toBe(m.infraCostMicros);
    expect(b4.latencyP99Ms).toBe(m.latencyP99Ms);
    expect(b4.utilization).toBe(m.utilization);
  });

  it('refuses a model that is not in the policy or has no capacity curve, naming the field', async () => {
    await expect(batchSizeTradeoff({ policy: fleet(), trace: rows(), models: ['nope'] })).rejects.toMatchObject({ code: 'invalid_request', issues: [{ path: 'models.0' }] });
    await expect(batchSizeTradeoff({ policy: fleet(), trace: rows(), models: ['local', 'vendor'] })).rejects.toThrow(/"vendor" has no capacity curve/);
  });
});
