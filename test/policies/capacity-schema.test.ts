import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../policies/errors.js';
import { policyIssues, validatePolicy } from '../../policies/validate.js';

const vendor = { id: 'gpt-4o-mini', tier: 'vendor', adapter: 'simulated', contextWindow: 128000, prices: { inputPerM: 0.15, outputPerM: 0.6 } };
const curve = [
  { batch: 1, prefillTokensPerSecond: 4000, decodeTokensPerSecond: 60 },
  { batch: 8, prefillTokensPerSecond: 9000, decodeTokensPerSecond: 400 },
  { batch: 32, prefillTokensPerSecond: 12000, decodeTokensPerSecond: 1100 },
];
const withCapacity = (capacity: unknown, extra: Record<string, unknown> = {}) => ({
  name: 'cap',
  models: [{ id: 'llama-local', tier: 'local-gpu', adapter: 'simulated', contextWindow: 32768, capacity, ...extra }, vendor],
});
const paths = (raw: unknown) => policyIssues(raw).map((i) => i.path);

describe('capacity in the policy', () => {
  it('accepts a fixed fleet and fills the defaults', () => {
    const p = validatePolicy(withCapacity({ gpusPerReplica: 2, gpuHourlyUsd: 2.5, replicas: 3, throughput: curve }));
    expect(p.models[0]!.capacity).toEqual({ gpusPerReplica: 2, gpuHourlyUsd: 2.5, replicas: 3, throughput: curve, windowMinutes: 60, idleCost: 'separate' });
  });

  it('accepts an autoscaled fleet with its defaults', () => {
    const p = validatePolicy(withCapacity({ gpusPerReplica: 1, gpuHourlyUsd: 2.5, replicas: { min: 1, max: 4 }, throughput: curve, idleCost: 'spread', windowMinutes: 15 }));
    expect(p.models[0]!.capacity!.replicas).toEqual({ min: 1, max: 4, scaleUpQueue: 1, scaleDownIdleMinutes: 10 });
    expect(p.models[0]!.capacity!.idleCost).toBe('spread');
  });

  it('a capacity is enough for a self-hosted model (no infra, no prices)', () => {
    expect(paths(withCapacity({ gpusPerReplica: 1, gpuHourlyUsd: 1, replicas: 1, throughput: curve.slice(0, 1) }))).toEqual([]);
  });

  it('refuses a curve that is not monotone, with the field path', () => {
    const bad = [curve[0], { batch: 8, prefillTokensPerSecond: 3000, decodeTokensPerSecond: 400 }, { batch: 8, prefillTokensPerSecond: 12000, decodeTokensPerSecond: 300 }];
    const issues = policyIssues(withCapacity({ gpusPerReplica: 1, gpuHourlyUsd: 2.5, replicas: 1, throughput: bad }));
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['models[0].capacity.throughput[1].prefillTokensPerSecond', 'models[0].capacity.throughput[2].batch', 'models[0].capacity.throughput[2].decodeTokensPerSecond']),
    );
    expect(() => validatePolicy(withCapacity({ gpusPerReplica: 1, gpuHourlyUsd: 2.5, replicas: 1, throughput: bad }))).toThrow(PolicyError);
  });

  it('refuses zero or negative GPUs, replicas and throughput, with the field path', () => {
    expect(paths(withCapacity({ gpusPerReplica: 0, gpuHourlyUsd: 2.5, replicas: 1, throughput: curve }))).toEqual(['models[0].capacity.gpusPerReplica']);
    expect(paths(withCapacity({ gpusPerReplica: -2, gpuHourlyUsd: 2.5, replicas: 1, throughput: curve }))).toEqual(['models[0].capacity.gpusPerReplica']);
    expect(paths(withCapacity({ gpusPerReplica: 1, gpuHourlyUsd: -1, replicas: 1, throughput: curve }))).toEqual(['models[0].capacity.gpuHourlyUsd']);
    expect(paths(withCapacity({ gpusPerReplica: 1, gpuHourlyUsd: 1, replicas: 1, throughput: [{ batch: 1, prefillTokensPerSecond: 0, decodeTokensPerSecond: 10 }] }))).toEqual([
      'models[0].capacity.throughput[0].prefillTokensPerSecond',
    ]);
    expect(paths(withCapacity({ gpusPerReplica: 1, gpuHourlyUsd: 1, replicas: 1, throughput: [] }))).toEqual(['models[0].capacity.throughput']);
    expect(paths({ ...withCapacity(undefined), models: [{ ...withCapacity(undefined).models[0], capacity: undefined, infra: { gpuHourlyUsd: 1, gpus: 0, tokensPerSecond: 10 } }, vendor] })).toEqual([
      'models[0].infra.gpus',
    ]);
  });

  it('refuses min > max replicas and capacity together with infra', () => {
    expect(paths(withCapacity({ gpusPerReplica: 1, gpuHourlyUsd: 1, replicas: { min: 3, max: 2 }, throughput: curve }))).toEqual(['models[0].capacity.replicas.max']);
    expect(paths(withCapacity({ gpusPerReplica: 1, gpuHourlyUsd: 1, replicas: 1, throughput: curve }, { infra: { gpuHourlyUsd: 1, gpus: 1, tokensPerSecond: 10 } }))).toEqual(['models[0].capacity']);
  });
});
