import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy, resolvePolicy, type LoadedPolicy } from '../../../policies/loader.js';
import { simulatePolicies, type SimulationProgress } from '../../../offline/simulation/index.js';
import { readDecisionLog } from '../../../offline/reporting/decision-log-reader.js';
import { CostLedger } from '../../../engine/ledger.js';
import { TraceEmptyError, TraceRowError, type TraceRequest } from '../../../offline/trace/index.js';
import { ALL_VENDOR, COST_AWARE, tempDir, writeGeneratedTrace, writeLines } from './fixtures.js';

let dir: string;
let trace: string;
beforeAll(async () => {
  dir = tempDir();
  trace = await writeGeneratedTrace(dir, 500);
});

/** A copy of a loaded policy with tenant limits replaced. */
async function withTenants(file: string, name: string, tenants: Record<string, unknown>): Promise<LoadedPolicy> {
  const base = await loadPolicy(file);
  return resolvePolicy({ ...base.policy, name, tenants });
}

describe('simulatePolicies', () => {
  it('simulates every row through each policy; totals equal the written decision logs', async () => {
    const outDir = join(dir, 'logs');
    const progress: SimulationProgress[] = [];
    const report = await simulatePolicies({ policies: [ALL_VENDOR, COST_AWARE], trace, outDir, onProgress: (p) => progress.push(p) });
    expect(report.trace).toMatchObject({ file: trace, requests: 500, skipped: 0, issues: [] });
    expect(report.policies.map((p) => p.name)).toEqual(['all-vendor', 'cost-aware']);
    // cost-aware's self-hosted fleets also get their windows' true-ups (#18, docs/capacity.md).
    expect(readdirSync(outDir).sort()).toEqual(['all-vendor.decisions.jsonl', 'cost-aware.capacity.jsonl', 'cost-aware.decisions.jsonl']);
    for (const p of report.policies) {
      expect(p.requests).toBe(500);
      expect(p.version).toMatch(/^[0-9a-f]{12}$/);
      expect(p.fullCostMicros).toBe(p.vendorCostMicros + p.infraCostMicros + p.opsCostMicros);
      const ledger = new CostLedger(['total', 'model', 'tenant']);
      for await (const r of readDecisionLog(join(outDir, `${p.name}.decisions.jsonl`))) ledger.record(r);
      const t = ledger.total();
      // The records plus the self-hosted windows' true-ups (ledger entries, docs/capacity.md).
      expect([t.requests, t.inputTokens, t.outputTokens, t.fullMicros + p.capacityTrueUpMicros, t.vendorMicros]).toEqual([p.requests, p.inputTokens, p.outputTokens, p.fullCostMicros, p.vendorCostMicros]);
      const trueUp = (model: string) => (p.capacityWindows ?? []).filter((w) => w.model === model).reduce((a, w) => a + w.trueUpMicros + w.idleMicros, 0);
      for (const row of ledger.rows('model')) expect(p.byModel[row.key]).toMatchObject({ requests: row.requests, fullCostMicros: row.fullMicros + trueUp(row.key) });
      for (const row of ledger.rows('tenant')) expect(p.byTenant[row.key]).toMatchObject({ requests: row.requests, fullCostMicros: row.fullMicros });
      const shares = Object.values(p.byModel).reduce((a, m) => a + m.share, 0);
      expect(shares).toBeCloseTo(1, 9);
      expect(p.timeline.reduce((a, b) => a + b.requests, 0)).toBe(500);
      expect(p.timeline.reduce((a, b) => a + b.fullCostMicros, 0)).toBe(p.fullCostMicros - p.capacityTrueUpMicros);
      expect(p.sampleDecisions).toHaveLength(50);
      expect(p.quality.predictedMean).toBeGreaterThan(0.5);
    }
    const [vendor, cheap] = report.policies;
    expect(vendor!.fullCostMicros).toBeGreaterThan(cheap!.fullCostMicros);
    expect(Object.keys(cheap!.byTier).length).toBeGreaterThan(1);
    expect(progress.at(-1)).toMatchObject({ done: 500, total: 500 });
  });

  it('is deterministic for a seed', async () => {
    const run = () => simulatePolicies({ policies: [COST_AWARE], trace, seed: 7 });
    expect(await run()).toEqual(await run());
  });

  it('counts requests a tiny budget or a rate limit refuses, per tenant', async () => {
    const tiny = await withTenants(COST_AWARE, 'tiny-budget', { 'acme-dev': { budgets: [{ window: 'month', usd: 0.01 }] } });
    const limited = await withTenants(COST_AWARE, 'rate-limited', { helpdesk: { rateLimit: { requestsPerMinute: 1 } } });
    const report = await simulatePolicies({ policies: [tiny, limited], trace });
    const [b, r] = report.policies;
    expect(b!.refused.budget).toBeGreaterThan(0);
    expect(b!.byTenant['acme-dev']).toMatchObject({ budgetMicros: 10_000, refused: b!.refused.budget });
    expect(b!.byTenant['acme-dev']!.fullCostMicros).toBeLessThanOrEqual(10_000);
    expect(r!.refused.rateLimit).toBeGreaterThan(0);
    expect(r!.byTenant.helpdesk!.refused).toBe(r!.refused.rateLimit);
    expect(r!.refused.budget).toBe(0);
  });

  it('accepts an async iterable trace and rejects an empty one', async () => {
    const rows: TraceRequest[] = [
      { id: 'a', timestamp: Date.UTC(2024, 5, 3), tenant: 't', promptTokens: 100, outputTokens: 50, tags: [], labels: { 'gpt-4o': 0.5 } },
      { id: 'b', timestamp: Date.UTC(2024, 5, 3, 2), tenant: 't', promptTokens: 10, tags: [] },
    ];
    async function* gen(list: TraceRequest[]) {
      yield* list;
    }
    const report = await simulatePolicies({ policies: [ALL_VENDOR], trace: gen(rows), timelineBucketMs: 3_600_000 });
    const p = report.policies[0]!;
    expect(report.trace).toEqual({ requests: 2, skipped: 0, issues: [] });
    expect(p.inputTokens).toBe(110);
    expect(p.timeline.map((x) => x.start)).toEqual([Date.UTC(2024, 5, 3), Date.UTC(2024, 5, 3, 2)]);
    expect(p.sampleDecisions![0]!.quality).toBe(0.5);
    await expect(simulatePolicies({ policies: [ALL_VENDOR], trace: gen([]) })).rejects.toBeInstanceOf(TraceEmptyError);
  });

  it('reports malformed rows with their line numbers: fatal by default, counted with skip', async () => {
    const good = '{"timestamp":"2024-06-03T00:00:00Z","tenant":"t","promptTokens":10}';
    const file = writeLines(dir, 'bad.jsonl', [good, '{"timestamp":"2024-06-03T00:00:01Z","tenant":"t","promptTokens":-5}', good]);
    await expect(simulatePolicies({ policies: [ALL_VENDOR], trace: file })).rejects.toMatchObject({ code: 'trace_row_invalid', line: 2 });
    const report = await simulatePolicies({ policies: [ALL_VENDOR], trace: file, traceOptions: { onError: 'skip' } });
    expect(report.trace.requests).toBe(2);
    expect(report.trace.skipped).toBe(1);
    expect(report.trace.issues[0]).toMatchObject({ line: 2, reason: expect.stringContaining('promptTokens') });
    await expect(simulatePolicies({ policies: [ALL_VENDOR], trace: file })).rejects.toBeInstanceOf(TraceRowError);
    // the same with the trace read on a worker thread
    await expect(simulatePolicies({ policies: [ALL_VENDOR], trace: file, traceWorker: true })).rejects.toMatchObject({ code: 'trace_row_invalid', line: 2 });
    expect(await simulatePolicies({ policies: [ALL_VENDOR], trace: file, traceWorker: true, traceOptions: { onError: 'skip' } })).toEqual(report);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const run = simulatePolicies({
      policies: [ALL_VENDOR],
      trace,
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('stop')),
    });
    controller.abort(new Error('stop'));
    await expect(run).rejects.toThrow('stop');
  });
});
