import { describe, expect, it } from 'vitest';
import type { SimulationReport } from '../../offline/simulation/index.js';
import { COST_AWARE, ALL_VENDOR, tempDir, writeGeneratedTrace } from '../offline/simulation/fixtures.js';
import { cli } from './capture-io.js';

describe('tollgate simulate --json: self-hosted capacity (#18)', () => {
  it('reports per policy and per model infraCostMicros, idleCostMicros, utilization and latency p50/p99', async () => {
    const trace = await writeGeneratedTrace(tempDir('tollgate-cli-cap-'), 300, 'cli-cap', false);
    const r = await cli('simulate', '--policy', ALL_VENDOR, '--policy', COST_AWARE, '--trace', trace, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as SimulationReport;
    const [vendor, cost] = report.policies;
    expect(vendor!.idleCostMicros).toBe(0);
    expect(vendor!.infraCostMicros).toBe(0);
    expect(cost!.idleCostMicros).toBeGreaterThan(0);
    for (const id of ['llama-3.1-8b-local', 'distil-1b']) {
      const m = cost!.byModel[id]!;
      expect(Number.isInteger(m.infraCostMicros) && Number.isInteger(m.idleCostMicros)).toBe(true);
      expect(m.utilization).toBeGreaterThanOrEqual(0);
      expect(m.utilization).toBeLessThanOrEqual(1);
      expect(m.infraCostMicros).toBe(m.capacity!.provisionedMicros);
      expect(m.idleCostMicros).toBeLessThanOrEqual(m.infraCostMicros);
      if (m.requests > 0) expect(m.latencyP99Ms).toBeGreaterThanOrEqual(m.latencyP50Ms!);
    }
    // Vendor models: no infra, latency from the records.
    expect(cost!.byModel['gpt-4o']).toMatchObject({ infraCostMicros: 0, idleCostMicros: 0 });
    expect(cost!.byModel['gpt-4o']!.utilization).toBeUndefined();
    expect(cost!.infraCostMicros).toBe(Object.values(cost!.byModel).reduce((a, m) => a + m.infraCostMicros, 0));
  });

  it('--queue-model off serves every self-hosted request at once (no queue wait); a bad value is a usage error', async () => {
    const trace = await writeGeneratedTrace(tempDir('tollgate-cli-cap-'), 200, 'cli-cap-q', false);
    const on = JSON.parse((await cli('simulate', '--policy', COST_AWARE, '--trace', trace, '--json')).out) as SimulationReport;
    const off = JSON.parse((await cli('simulate', '--policy', COST_AWARE, '--trace', trace, '--json', '--queue-model', 'off')).out) as SimulationReport;
    const local = (r: SimulationReport) => r.policies[0]!.byModel['llama-3.1-8b-local']!.capacity!;
    expect(local(off).queueP99Ms).toBe(0);
    expect(local(on).queueP99Ms).toBeGreaterThanOrEqual(0);
    expect(local(off).provisionedMicros).toBeGreaterThan(0);
    const bad = await cli('simulate', '--policy', COST_AWARE, '--trace', trace, '--queue-model', 'maybe');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--queue-model must be on or off/);
  });
});
