import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CapacityTrueUp } from '../../../index.js';
import { simulatePolicies } from '../../../offline/simulation/index.js';
import type { TraceRequest } from '../../../offline/trace/index.js';
import { resolvePolicy } from '../../../policies/loader.js';

const START = Date.parse('2026-03-02T09:20:00Z'); // not on a window boundary
const HOUR = 3_600_000;
const curve = [
  { batch: 1, prefillTokensPerSecond: 5000, decodeTokensPerSecond: 60 },
  { batch: 8, prefillTokensPerSecond: 12000, decodeTokensPerSecond: 400 },
];

function policy(capacity: Record<string, unknown>, name = 'self-hosted') {
  return resolvePolicy({
    name,
    models: [
      { id: 'local', tier: 'local-gpu', adapter: 'simulated', contextWindow: 32768, quality: 0.8, capacity },
      { id: 'vendor-mini', tier: 'vendor', adapter: 'simulated', contextWindow: 128000, quality: 0.8, prices: { inputPerM: 0.15, outputPerM: 0.6 } },
      { id: 'vendor-big', tier: 'vendor', adapter: 'simulated', contextWindow: 128000, quality: 0.95, prices: { inputPerM: 2.5, outputPerM: 10 } },
    ],
    // Everything to the self-hosted model (its provisional price is below the vendors').
    rules: [{ name: 'local', models: ['local'] }],
  });
}

/** `n` requests spread evenly over `hours` from START (or all within `burstMs` of it). */
async function* trace(n: number, spanMs: number): AsyncGenerator<TraceRequest> {
  for (let i = 0; i < n; i++) {
    yield { id: `r${i}`, timestamp: START + Math.round((i * spanMs) / (n - 1)), tenant: `t${i % 3}`, promptTokens: 600 + (i % 7) * 50, outputTokens: 120, maxOutputTokens: 200, tags: [] };
  }
}

const simulate = (p: ReturnType<typeof policy>[], n: number, spanMs: number, queueModel = true) =>
  simulatePolicies({ policies: p, trace: trace(n, spanMs), engine: 'fast', queueModel });

describe('self-hosted cost from provisioned GPU-hours (#18)', () => {
  it("the model's infra cost is its provisioned GPU-hours × price over the trace's span, with utilization and idle cost", async () => {
    const span = 5.5 * HOUR;
    const report = await simulate([policy({ gpusPerReplica: 2, gpuHourlyUsd: 2.5, replicas: 2, throughput: curve })], 600, span);
    const p = report.policies[0]!;
    const m = p.byModel['local']!;
    expect(m.requests).toBe(600);
    const cap = m.capacity!;
    // 2 replicas × 2 GPUs from the first request to the last request's completion (seconds after the last arrival).
    expect(cap.provisionedGpuHours).toBeGreaterThanOrEqual((4 * span) / HOUR);
    expect(cap.provisionedGpuHours).toBeLessThan((4 * (span + 60_000)) / HOUR);
    // Infra = provisioned GPU-hours × $2.50, to the allocation's rounding (one rounding per window).
    expect(Math.abs(m.infraCostMicros - cap.provisionedGpuHours * 2.5e6)).toBeLessThanOrEqual(cap.windows);
    expect(m.infraCostMicros).toBe(cap.provisionedMicros);
    expect(cap.windows).toBe(6); // 09:20–10:00, 10–11, …, 14:00–14:50 (the span's end)
    // Mostly idle: 600 short requests in 5.5 hours on 4 GPUs.
    expect(m.utilization).toBeGreaterThan(0);
    expect(m.utilization).toBeLessThan(0.05);
    expect(m.idleCostMicros).toBeGreaterThan(0.95 * m.infraCostMicros);
    expect(cap.idleMicros).toBe(m.idleCostMicros); // idleCost: separate (default) books it to the idle line
    expect(cap.busyGpuHours / cap.provisionedGpuHours).toBeCloseTo(m.utilization!, 12);
    // The policy's totals include the windows' true-ups and idle lines, not only the records' provisional cost.
    expect(p.infraCostMicros).toBe(m.infraCostMicros);
    expect(p.idleCostMicros).toBe(m.idleCostMicros);
    expect(p.fullCostMicros).toBe(m.fullCostMicros);
    expect(cap.provisionalMicros + cap.trueUpMicros + cap.idleMicros).toBe(m.infraCostMicros);
    // GPU-hours and infra per 1M tokens count the provisioned hours.
    const tokens = m.inputTokens + m.outputTokens;
    expect(cap.gpuHoursPerMillion).toBeCloseTo((cap.provisionedGpuHours * 1e6) / tokens, 9);
    expect(cap.infraPerMillionMicros).toBe(Math.round((m.infraCostMicros * 1e6) / tokens));
    // Break-even against the cheapest vendor of the same quality (vendor-mini, not vendor-big).
    expect(cap.breakEven!.vendorModel).toBe('vendor-mini');
    expect(cap.breakEven!.requestsPerHour).toBeCloseTo((2 * 2 * 2.5e6) / cap.breakEven!.vendorMicrosPerRequest, 0);
    expect(cap.breakEven!.observedRequestsPerHour).toBeCloseTo(600 / 5.5, 0);
    // Latency: queue + service from the curve.
    expect(m.latencyP50Ms).toBeGreaterThan(0);
    expect(m.latencyP99Ms).toBeGreaterThanOrEqual(m.latencyP50Ms!);
  });

  it('idleCost: spread puts the idle capacity into the requests: same infra, no idle line', async () => {
    const base = { gpusPerReplica: 1, gpuHourlyUsd: 4, replicas: 1, throughput: curve };
    const report = await simulate([policy(base, 'separate'), policy({ ...base, idleCost: 'spread' }, 'spread')], 300, 3 * HOUR);
    const [sep, spr] = report.policies.map((p) => p.byModel['local']!);
    expect(spr!.infraCostMicros).toBe(sep!.infraCostMicros);
    expect(spr!.idleCostMicros).toBe(sep!.idleCostMicros);
    expect(sep!.capacity!.idleMicros).toBe(sep!.idleCostMicros);
    expect(spr!.capacity!.idleMicros).toBe(0);
    expect(spr!.capacity!.trueUpMicros).toBe(spr!.infraCostMicros - spr!.capacity!.provisionalMicros);
  });

  it('an unused fleet is all idle; legacy infra is a one-replica fleet', async () => {
    const loaded = resolvePolicy({
      name: 'legacy',
      models: [
        { id: 'local', tier: 'local-gpu', adapter: 'simulated', contextWindow: 32768, quality: 0.8, infra: { gpuHourlyUsd: 2.5, gpus: 1, tokensPerSecond: 2400 } },
        { id: 'idle-box', tier: 'local-gpu', adapter: 'simulated', contextWindow: 32768, quality: 0.1, infra: { gpuHourlyUsd: 1, gpus: 2, tokensPerSecond: 2400 } },
        { id: 'vendor-mini', tier: 'vendor', adapter: 'simulated', contextWindow: 128000, quality: 0.8, prices: { inputPerM: 0.15, outputPerM: 0.6 } },
      ],
      rules: [{ name: 'local', models: ['local'] }],
    });
    const report = await simulatePolicies({ policies: [loaded], trace: trace(200, 10 * HOUR), engine: 'fast' });
    const p = report.policies[0]!;
    const idle = p.byModel['idle-box']!;
    expect(idle.requests).toBe(0);
    expect(idle.utilization).toBe(0);
    expect(idle.infraCostMicros).toBe(idle.idleCostMicros);
    expect(idle.infraCostMicros).toBeCloseTo(2 * 10 * 1e6, -2);
    const local = p.byModel['local']!;
    expect(local.capacity!.source).toBe('infra');
    expect(local.infraCostMicros).toBeGreaterThanOrEqual(10 * 2.5e6);
    // The records' provisional cost is the old busy-time-only price: a small part of the true cost.
    expect(local.capacity!.provisionalMicros).toBeLessThan(0.05 * local.infraCostMicros);
  });

  it('queue model: a burst queues, the autoscaler adds replicas and releases them when idle', async () => {
    const scaled = policy({ gpusPerReplica: 1, gpuHourlyUsd: 2, replicas: { min: 1, max: 4, scaleUpQueue: 4, scaleDownIdleMinutes: 5 }, throughput: curve }, 'scaled');
    const fixed = policy({ gpusPerReplica: 1, gpuHourlyUsd: 2, replicas: 1, throughput: curve }, 'fixed');
    // 400 requests within 60 s (a burst far above one replica's 8 slots), then nothing until the span ends an hour later.
    async function* burst(): AsyncGenerator<TraceRequest> {
      yield* trace(400, 60_000);
      yield { id: 'late', timestamp: START + HOUR, tenant: 't0', promptTokens: 600, outputTokens: 120, maxOutputTokens: 200, tags: [] };
    }
    const report = await simulatePolicies({ policies: [scaled, fixed], trace: burst(), engine: 'fast' });
    const [s, f] = report.policies.map((p) => p.byModel['local']!);
    expect(s!.capacity!.peakReplicas).toBe(4);
    expect(f!.capacity!.peakReplicas).toBe(1);
    expect(f!.capacity!.queueP99Ms).toBeGreaterThan(s!.capacity!.queueP99Ms);
    expect(f!.latencyP99Ms).toBeGreaterThan(s!.latencyP99Ms!);
    // Scaled back down: far fewer GPU-hours than 4 replicas for the whole hour, more than 1.
    expect(s!.capacity!.provisionedGpuHours).toBeGreaterThan(f!.capacity!.provisionedGpuHours);
    expect(s!.capacity!.provisionedGpuHours).toBeLessThan(2); // 4 for ~6 min, then one fewer every 5 idle minutes
    // Without the queue model nothing waits and the fleet stays at min.
    const off = await simulatePolicies({ policies: [scaled], trace: burst(), engine: 'fast', queueModel: false });
    const o = off.policies[0]!.byModel['local']!;
    expect(o.capacity!.queueP99Ms).toBe(0);
    expect(o.capacity!.peakReplicas).toBe(1);
  });

  it('the full engine path reports the same capacity figures as the fast replay', async () => {
    const p = policy({ gpusPerReplica: 2, gpuHourlyUsd: 2.5, replicas: { min: 1, max: 3 }, throughput: curve });
    const fast = await simulatePolicies({ policies: [p], trace: trace(150, 2 * HOUR), engine: 'fast' });
    const full = await simulatePolicies({ policies: [p], trace: trace(150, 2 * HOUR), engine: 'full' });
    const { sampleDecisions: _a, ...a } = fast.policies[0]!;
    const { sampleDecisions: _b, ...b } = full.policies[0]!;
    expect(b.byModel['local']).toEqual(a.byModel['local']);
    expect(b.infraCostMicros).toBe(a.infraCostMicros);
  });

  it('closing the windows writes the true-ups next to the decision log; the records keep their provisional cost', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'tollgate-capacity-'));
    const report = await simulatePolicies({ policies: [policy({ gpusPerReplica: 1, gpuHourlyUsd: 3, replicas: 1, throughput: curve })], trace: trace(100, 2.5 * HOUR), engine: 'fast', outDir });
    const p = report.policies[0]!;
    const lines = readFileSync(join(outDir, 'self-hosted.capacity.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CapacityTrueUp);
    expect(lines).toEqual(p.capacityWindows);
    expect(lines.every((w) => w.kind === 'capacity-true-up' && w.model === 'local' && w.allocatedMicros + w.idleMicros === w.provisionedMicros)).toBe(true);
    expect(lines.reduce((a, w) => a + w.trueUpMicros + w.idleMicros, 0)).toBe(p.capacityTrueUpMicros);
    const records = readFileSync(join(outDir, 'self-hosted.decisions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { cost: { infra: number }; gpuSeconds?: number });
    expect(records.reduce((a, r) => a + r.cost.infra, 0)).toBe(lines.reduce((a, w) => a + w.provisionalMicros, 0));
    expect(records.every((r) => r.gpuSeconds! > 0)).toBe(true);
  });

  it('the batching trade-off: a curve that batches more serves the same load on fewer GPU-hours, each answer slower', async () => {
    // Same hardware; "wide" runs up to 32 in flight at a higher aggregate decode rate but slower per request.
    const narrow = [{ batch: 1, prefillTokensPerSecond: 5000, decodeTokensPerSecond: 80 }, { batch: 4, prefillTokensPerSecond: 8000, decodeTokensPerSecond: 240 }];
    const wide = [...narrow, { batch: 32, prefillTokensPerSecond: 14000, decodeTokensPerSecond: 1200 }];
    const fleet = (throughput: typeof narrow, name: string) => policy({ gpusPerReplica: 1, gpuHourlyUsd: 2, replicas: { min: 1, max: 16, scaleUpQueue: 1, scaleDownIdleMinutes: 2 }, throughput }, name);
    const report = await simulatePolicies({ policies: [fleet(narrow, 'batch-4'), fleet(wide, 'batch-32')], trace: trace(4000, 20 * 60_000), engine: 'fast' });
    const [n, w] = report.policies.map((p) => p.byModel['local']!);
    expect(w!.capacity!.provisionedGpuHours).toBeLessThan(n!.capacity!.provisionedGpuHours);
    expect(w!.infraCostMicros).toBeLessThan(n!.infraCostMicros);
    expect(w!.capacity!.peakReplicas).toBeLessThan(n!.capacity!.peakReplicas);
    expect(w!.latencyP50Ms).toBeGreaterThan(n!.latencyP50Ms!);
  });
});
