import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/run-cli.js';
import { ALLOCATION_RULE, chargeback } from '../../../offline/billing/chargeback.js';
import type { DecisionRecord } from '../../../engine/decision-record.js';
import { CostLedger } from '../../../engine/ledger.js';

/** A settled record with the given cost split (full = vendor + infra + ops). */
function rec(id: string, tenant: string, time: string, model: string, cost: [number, number, number], tokens: [number, number], extra: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    v: 1, time, requestId: id, tenant, tags: [], policy: { name: 'p', version: 'v1' }, candidates: [], chosen: model, model, tier: 'vendor', fallbacks: [], attempts: 1,
    tokens: { input: tokens[0], output: tokens[1], cached: 0, source: 'vendor' }, predictedCostMicros: 0,
    cost: { vendor: cost[0], infra: cost[1], ops: cost[2], full: cost[0] + cost[1] + cost[2] }, latencyMs: 10, outcome: 'ok', ...extra,
  };
}

const LOG: DecisionRecord[] = [
  rec('a1', 'acme', '2025-03-01T10:00:00.000Z', 'big', [1000, 0, 50], [100, 50]),
  rec('a2', 'acme', '2025-03-31T23:59:59.999Z', 'local', [0, 300, 15], [200, 100]),
  rec('a3', 'acme', '2025-03-02T00:00:00.000Z', 'big', [0, 0, 0], [0, 0], { cache: { hit: true, match: 'exact', savedMicros: 1050 }, rule: 'cache' }),
  rec('b1', 'beta', '2025-03-15T12:00:00.000Z', 'big', [2000, 0, 100], [300, 60]),
  rec('b2', 'beta', '2025-03-15T12:00:01.000Z', 'big', [0, 0, 0], [0, 0], { outcome: 'error', model: undefined, error: { code: 'all_models_failed', message: 'x' } }),
  rec('c1', 'gamma', '2025-03-20T08:00:00.000Z', 'local', [0, 600, 30], [400, 200]),
  rec('x1', 'acme', '2025-04-01T00:00:00.000Z', 'big', [9999, 0, 0], [1, 1]), // next month (UTC)
  rec('x2', 'beta', '2025-02-28T23:59:59.999Z', 'big', [9999, 0, 0], [1, 1]), // previous month
];
const costCenters = { acme: 'cc-retail', beta: 'cc-retail', gamma: 'cc-research' };
const gpuHoursPerM = { local: 0.5, big: 0 };

describe('chargeback', () => {
  const r = chargeback(LOG, { month: '2025-03', costCenters, gpuHoursPerM });

  it('attributes each request of the month to its tenant, split into vendor, infra and ops', () => {
    const acme = r.tenants.find((t) => t.tenant === 'acme')!;
    expect(acme).toMatchObject({ costCenter: 'cc-retail', requests: 3, ok: 3, cacheHits: 1, inputTokens: 300, outputTokens: 150, vendorMicros: 1000, infraMicros: 300, opsMicros: 65, fullMicros: 1365, cacheSavedMicros: 1050 });
    expect(acme.gpuHours).toBeCloseTo((300 * 0.5) / 1e6, 12);
    const beta = r.tenants.find((t) => t.tenant === 'beta')!;
    expect(beta).toMatchObject({ requests: 2, errors: 1, fullMicros: 2100 });
    expect(r.skipped).toBe(2);
    expect(r.tenants.map((t) => t.tenant)).toEqual(['beta', 'acme', 'gamma']); // most expensive first
  });

  it('subtotals per cost centre and agrees with the CostLedger over the same records', () => {
    expect(r.costCenters.map((c) => [c.costCenter, c.fullMicros, c.requests])).toEqual([
      ['cc-retail', 3465, 5],
      ['cc-research', 630, 1],
    ]);
    const ledger = new CostLedger(['total']);
    for (const x of LOG) if (x.time.startsWith('2025-03')) ledger.record(x);
    const t = ledger.total();
    expect(r.total).toMatchObject({ requests: t.requests, vendorMicros: t.vendorMicros, infraMicros: t.infraMicros, opsMicros: t.opsMicros, fullMicros: t.fullMicros });
    expect(r.total.fullMicros).toBe(r.total.vendorMicros + r.total.infraMicros + r.total.opsMicros);
    expect(r.allocationRule).toBe(ALLOCATION_RULE);
  });

  it('puts tenants without a cost centre under (unassigned) and refuses a malformed month', () => {
    expect(chargeback(LOG, { month: '2025-03' }).costCenters.map((c) => c.costCenter)).toEqual(['(unassigned)']);
    expect(() => chargeback(LOG, { month: '2025-3' })).toThrow(/YYYY-MM/);
  });
});

describe('chargeback: vendor cost parts (#15 item 6)', () => {
  const parts = (input: number, cachedInput: number, cacheWrite: number, output: number) => ({ input, cachedInput, cacheWrite, output });
  const withParts = (id: string, tenant: string, p: ReturnType<typeof parts>, extra: Partial<DecisionRecord> = {}) => {
    const vendor = p.input + p.cachedInput + p.cacheWrite + p.output;
    return rec(id, tenant, '2025-03-05T10:00:00.000Z', 'big', [vendor, 0, 10], [10_000, 1_000], { cost: { vendor, infra: 0, ops: 10, full: vendor + 10, parts: p }, ...extra });
  };
  const records = [
    withParts('p1', 'acme', parts(3_000, 1_800, 13_500, 7_500), { tokens: { input: 10_000, output: 500, cached: 6_000, cacheWrite: 3_000, cacheWrite1h: 1_000, source: 'vendor' } }),
    withParts('p2', 'acme', parts(10_000, 7_500, 0, 50_000), { serviceTier: 'flex', tokens: { input: 10_000, output: 5_000, cached: 6_000, reasoning: 4_000, source: 'vendor' } }),
    withParts('p3', 'beta', parts(20_000, 0, 0, 10_000), { serviceTier: 'priority' }),
    rec('old', 'beta', '2025-03-06T10:00:00.000Z', 'big', [900, 0, 0], [10, 10]), // logged before parts existed
  ];
  const r = chargeback(records, { month: '2025-03', costCenters: { acme: 'cc-retail', beta: 'cc-retail' } });

  it('each part once per tenant; the parts and the service tiers sum to the vendor cost', () => {
    const acme = r.tenants.find((t) => t.tenant === 'acme')!;
    expect(acme).toMatchObject({
      vendorMicros: 93_300, vendorInputMicros: 13_000, vendorCachedInputMicros: 9_300, vendorCacheWriteMicros: 13_500, vendorOutputMicros: 57_500, vendorUnsplitMicros: 0,
      cachedTokens: 12_000, cacheWriteTokens: 3_000, cacheWrite1hTokens: 1_000, reasoningTokens: 4_000, inputTokens: 20_000, outputTokens: 5_500,
      vendorByServiceTier: { '(none)': 25_800, flex: 67_500 },
    });
    const beta = r.tenants.find((t) => t.tenant === 'beta')!;
    expect(beta).toMatchObject({ vendorMicros: 30_900, vendorInputMicros: 20_000, vendorOutputMicros: 10_000, vendorUnsplitMicros: 900, vendorByServiceTier: { '(none)': 900, priority: 30_000 } });
    for (const row of [...r.tenants, ...r.costCenters, r.total]) {
      expect(row.vendorInputMicros + row.vendorCachedInputMicros + row.vendorCacheWriteMicros + row.vendorOutputMicros + row.vendorUnsplitMicros).toBe(row.vendorMicros);
      expect(Object.values(row.vendorByServiceTier).reduce((a, b) => a + b, 0)).toBe(row.vendorMicros);
    }
    expect(r.costCenters[0]).toMatchObject({ costCenter: 'cc-retail', vendorCachedInputMicros: 9_300, vendorUnsplitMicros: 900, vendorByServiceTier: { '(none)': 26_700, flex: 67_500, priority: 30_000 } });
    expect(r.total).toMatchObject({ vendorMicros: 124_200, vendorCacheWriteMicros: 13_500 });
  });
});

describe('tollgate chargeback', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-cb-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'log.jsonl');
  writeFileSync(log, LOG.map((x) => JSON.stringify(x)).join('\n') + '\n');
  const policy = join(dir, 'policy.json');
  writeFileSync(policy, JSON.stringify({
    name: 'cb',
    models: [
      { id: 'big', tier: 'vendor', adapter: 'simulated', contextWindow: 8000, prices: { inputPerM: 1, outputPerM: 2 } },
      { id: 'local', tier: 'local-gpu', adapter: 'simulated', contextWindow: 8000, infra: { gpuHourlyUsd: 2, gpus: 1, tokensPerSecond: 556 } },
    ],
    tenants: { acme: { costCenter: 'cc-retail' }, beta: { costCenter: 'cc-retail' }, gamma: { costCenter: 'cc-research' } },
  }));
  const run = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(['chargeback', '--log', log, '--month', '2025-03', ...args], { out: (t) => (out += t), err: (t) => (err += t), isTty: false });
    return { code, out, err };
  };

  it('prints CSV with the allocation rule and exact dollar amounts per tenant', async () => {
    const { code, out } = await run('--format', 'csv', '--policy', policy);
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[1]).toMatch(/^# allocation: Direct attribution/);
    expect(lines[2]).toBe(
      'month,tenant,cost_center,requests,ok,errors,refused,cache_hits,input_tokens,output_tokens,cached_tokens,gpu_hours,vendor_usd,infra_usd,ops_usd,full_usd,' +
        'cache_write_tokens,cache_write_1h_tokens,reasoning_tokens,vendor_input_usd,vendor_cached_input_usd,vendor_cache_write_usd,vendor_output_usd,vendor_unsplit_usd,vendor_by_service_tier',
    );
    // These records were logged without cost parts: their vendor cost is all "unsplit".
    expect(lines, out).toContain('2025-03,acme,cc-retail,3,3,0,0,1,300,150,0,0.000150,0.001000,0.000300,0.000065,0.001365,0,0,0,0.000000,0.000000,0.000000,0.000000,0.001000,(none)=0.001000');
    expect(lines).toHaveLength(6);
  });

  it('prints JSON and a table naming the allocation rule; --help has an example', async () => {
    const json = JSON.parse((await run('--format', 'json')).out);
    expect(json.total.fullMicros).toBe(4095);
    expect(json.allocationRule).toBe(ALLOCATION_RULE);
    const text = (await run('--policy', policy)).out;
    expect(text).toContain('Allocation rule: Direct attribution');
    expect(text).toContain('cc-research');
    let help = '';
    await runCli(['chargeback', '--help'], { out: (t) => (help += t), err: () => {}, isTty: false });
    expect(help).toContain('Example:');
    expect((await run('--format', 'xml')).code).toBe(2);
  });
});
