import { describe, expect, it } from 'vitest';
import { CapacityLedger } from '../../../adapters/observers/capacity-ledger.js';
import { SimulatedAdapter } from '../../../adapters/simulated-adapter.js';
import { type CapacityTrueUp, createTollgate, MemoryDecisionSink } from '../../../index.js';
import { resolvePolicy } from '../../../policies/loader.js';

const HOUR = 3_600_000;
const capacity = { gpusPerReplica: 2, gpuHourlyUsd: 3, replicas: 2, throughput: [{ batch: 1, prefillTokensPerSecond: 4000, decodeTokensPerSecond: 50 }, { batch: 16, prefillTokensPerSecond: 10000, decodeTokensPerSecond: 600 }] };

describe('CapacityLedger: live window true-ups (#18 item 2)', () => {
  it('closes hourly windows on the engine clock: provisioned GPU-hours × price, idle line, true-up over the records', async () => {
    const loaded = resolvePolicy({
      name: 'live',
      models: [
        { id: 'local', tier: 'local-gpu', adapter: 'simulated', contextWindow: 32768, quality: 0.9, capacity },
        { id: 'vendor', tier: 'vendor', adapter: 'simulated', contextWindow: 32768, quality: 0.9, prices: { inputPerM: 10, outputPerM: 30 } },
      ],
    });
    const start = Date.parse('2026-05-04T10:30:00Z');
    let now = start;
    const trueUps: CapacityTrueUp[] = [];
    const ledger = new CapacityLedger({ models: loaded.policy.models, startMs: start, onTrueUp: (t) => trueUps.push(t) });
    const sink = new MemoryDecisionSink();
    const tollgate = createTollgate({ policy: loaded, adapters: { simulated: new SimulatedAdapter(1) }, decisionLog: sink, clock: () => now, observers: [ledger.observe] });
    for (let i = 0; i < 30; i++) {
      now = start + i * 5 * 60_000; // every 5 minutes for 2.5 hours
      await tollgate.complete({ tenant: 't', messages: [{ role: 'user', content: `summarise item ${i} please` }], maxOutputTokens: 40 });
    }
    ledger.flush(start + 3 * HOUR);
    await tollgate.close();
    // 10:30–11:00, 11–12, 12–13, 13:00–13:30.
    expect(trueUps.map((t) => [new Date(t.start).toISOString().slice(11, 16), new Date(t.end).toISOString().slice(11, 16)])).toEqual([['10:30', '11:00'], ['11:00', '12:00'], ['12:00', '13:00'], ['13:00', '13:30']]);
    const provisioned = trueUps.reduce((a, t) => a + t.provisionedMicros, 0);
    expect(provisioned).toBe(Math.round(2 * 2 * 3 * 3e6)); // 2 replicas × 2 GPUs × 3 h × $3
    const records = sink.records.filter((r) => r.model === 'local');
    expect(records).toHaveLength(30);
    expect(trueUps.reduce((a, t) => a + t.requests, 0)).toBe(30);
    expect(trueUps.reduce((a, t) => a + t.provisionalMicros, 0)).toBe(records.reduce((a, r) => a + r.cost.infra, 0));
    // separate (default): provisional + true-up + idle = provisioned, per window and in all.
    for (const t of trueUps) expect(t.provisionalMicros + t.trueUpMicros + t.idleMicros).toBe(t.provisionedMicros);
    expect(trueUps[3]!.requests).toBe(0);
    expect(trueUps[3]!.idleMicros).toBe(trueUps[3]!.provisionedMicros);
  });
});
