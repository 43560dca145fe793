import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/run-cli.js';
import type { DecisionRecord } from '../../../engine/decision-record.js';
import { chargeback } from '../../../offline/billing/chargeback.js';
import { FOCUS_COLUMN_TYPES, FOCUS_COLUMNS, focusCsv, focusRows, type FocusRow } from '../../../offline/billing/focus.js';
import { parseCsv } from '../../../offline/billing/vendor-usage.js';

function rec(id: string, tenant: string, time: string, model: string, cost: [number, number, number], tokens: [number, number, number], extra: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    v: 1, time, requestId: id, tenant, tags: [], policy: { name: 'p', version: 'v1' }, candidates: [], chosen: model, model, tier: model === 'local' ? 'local-gpu' : 'vendor', fallbacks: [], attempts: 1,
    tokens: { input: tokens[0], output: tokens[1], cached: tokens[2], source: 'vendor' }, predictedCostMicros: 0,
    cost: { vendor: cost[0], infra: cost[1], ops: cost[2], full: cost[0] + cost[1] + cost[2] }, latencyMs: 10, outcome: 'ok', ...extra,
  };
}

const LOG: DecisionRecord[] = [
  rec('a1', 'acme', '2025-03-01T10:00:00.000Z', 'big', [1000, 0, 50], [100, 50, 20], { tags: ['feature:search', 'env:prod'] }),
  rec('a1b', 'acme', '2025-03-01T11:00:00.000Z', 'big', [3001, 0, 150], [300, 90, 0], { tags: ['env:prod', 'feature:search'] }),
  rec('a2', 'acme', '2025-03-31T23:59:59.999Z', 'local', [0, 300, 15], [200, 100, 0]),
  rec('a3', 'acme', '2025-03-02T00:00:00.000Z', 'big', [0, 0, 0], [120, 40, 0], { cache: { hit: true, match: 'exact', savedMicros: 1050 }, rule: 'cache', tags: ['beta'] }),
  rec('b1', 'beta', '2025-03-15T12:00:00.000Z', 'big', [2000, 0, 100], [300, 60, 0]),
  rec('b2', 'beta', '2025-03-15T12:00:01.000Z', 'big', [0, 0, 0], [0, 0, 0], { outcome: 'error', model: undefined, error: { code: 'all_models_failed', message: 'x' } }),
  rec('c1', 'gamma', '2025-03-20T08:00:00.000Z', 'local', [0, 600, 30], [400, 200, 0]),
  rec('x1', 'acme', '2025-04-01T00:00:00.000Z', 'big', [9999, 0, 0], [1, 1, 0]), // next month
];
const costCenters = { acme: 'cc-retail', beta: 'cc-retail', gamma: undefined };
const gpuHoursPerM = { local: 0.5, big: 0 };
const micros = (s: unknown) => {
  const [i, f = ''] = String(s).split('.');
  return Number(i) * 1_000_000 + Number(f.padEnd(6, '0'));
};
const sum = (rows: FocusRow[], c: keyof FocusRow, f: (v: unknown) => number = Number) => rows.reduce((s, r) => s + f(r[c]), 0);

describe('FOCUS 1.2 export', () => {
  const rows = focusRows(LOG, { month: '2025-03', costCenters, gpuHoursPerM });
  const native = chargeback(LOG, { month: '2025-03', costCenters, gpuHoursPerM });

  it('has the FOCUS columns that apply to token usage, plus x_ columns', () => {
    for (const c of ['BilledCost', 'EffectiveCost', 'ListCost', 'ListUnitPrice', 'ConsumedQuantity', 'ConsumedUnit', 'PricingQuantity', 'PricingUnit', 'ChargeCategory', 'ChargePeriodStart', 'ChargePeriodEnd', 'ServiceCategory', 'ServiceName', 'SkuId', 'SubAccountId', 'SubAccountName', 'Tags', 'x_InputTokens', 'x_OutputTokens', 'x_CachedTokens', 'x_ReasoningTokens', 'x_VendorCost', 'x_InfraCost', 'x_OpsCost']) {
      expect(FOCUS_COLUMNS).toContain(c);
    }
    for (const c of FOCUS_COLUMNS) expect(c).toMatch(/^([A-Z][A-Za-z]+|x_[A-Za-z]+)$/);
    expect(parseCsv(focusCsv(rows))[0]!.cells).toEqual([...FOCUS_COLUMNS]);
  });

  it('writes every cell with its column type', () => {
    const csv = parseCsv(focusCsv(rows));
    for (const { cells } of csv.slice(1)) {
      FOCUS_COLUMNS.forEach((c, i) => {
        const v = cells[i]!;
        if (v === '') return expect(['ChargeClass', 'x_ReasoningTokens', 'x_CostCenter', 'ListUnitPrice', 'x_ModelTier'], `${c} empty`).toContain(c);
        const type = FOCUS_COLUMN_TYPES[c];
        if (type === 'decimal') expect(v, c).toMatch(/^-?\d+(\.\d+)?$/);
        if (type === 'integer') expect(v, c).toMatch(/^\d+$/);
        if (type === 'datetime') expect(v, c).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        if (type === 'json') expect(typeof JSON.parse(v), c).toBe('object');
      });
    }
    const search = rows.find((r) => r.SkuId === 'big' && String(r.Tags).includes('search'))!;
    expect(JSON.parse(String(search.Tags))).toEqual({ cost_center: 'cc-retail', env: 'prod', feature: 'search' });
    expect(search).toMatchObject({ ChargeCategory: 'Usage', ChargePeriodStart: '2025-03-01T00:00:00Z', ChargePeriodEnd: '2025-03-02T00:00:00Z', BillingPeriodStart: '2025-03-01T00:00:00Z', BillingPeriodEnd: '2025-04-01T00:00:00Z', ConsumedUnit: 'Tokens', PricingUnit: '1M Tokens', SubAccountId: 'acme', x_Requests: 2 });
  });

  it('totals equal the native chargeback: cost and its split, tokens, requests, GPU-hours — per tenant and overall', () => {
    expect(sum(rows, 'BilledCost', micros)).toBe(native.total.fullMicros);
    expect(sum(rows, 'EffectiveCost', micros)).toBe(native.total.fullMicros);
    expect(sum(rows, 'x_VendorCost', micros)).toBe(native.total.vendorMicros);
    expect(sum(rows, 'x_InfraCost', micros)).toBe(native.total.infraMicros);
    expect(sum(rows, 'x_OpsCost', micros)).toBe(native.total.opsMicros);
    expect(sum(rows, 'x_CacheSavedCost', micros)).toBe(native.total.cacheSavedMicros);
    expect(sum(rows, 'x_InputTokens')).toBe(native.total.inputTokens);
    expect(sum(rows, 'x_OutputTokens')).toBe(native.total.outputTokens);
    expect(sum(rows, 'x_CachedTokens')).toBe(native.total.cachedTokens);
    expect(sum(rows, 'x_Requests')).toBe(native.total.requests);
    expect(sum(rows, 'x_GpuHours')).toBeCloseTo(native.total.gpuHours, 6);
    for (const t of native.tenants) {
      const mine = rows.filter((r) => r.SubAccountId === t.tenant);
      expect(sum(mine, 'BilledCost', micros), t.tenant).toBe(t.fullMicros);
      expect(sum(mine, 'x_Requests'), t.tenant).toBe(t.requests);
    }
  });

  it('ListCost = ListUnitPrice × PricingQuantity (cache hits priced as served)', () => {
    const hit = rows.find((r) => String(r.Tags).includes('"beta":true'))!;
    expect(hit).toMatchObject({ BilledCost: '0.000000', ListCost: '0.001050' });
    for (const r of rows) if (r.ListUnitPrice !== null) expect(Number(r.ListUnitPrice) * Number(r.PricingQuantity)).toBeCloseTo(micros(r.ListCost) / 1e6, 6);
  });
});

describe('tollgate chargeback --format focus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-focus-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('writes the FOCUS CSV of the month from a decision log', async () => {
    const log = join(dir, 'decisions.jsonl');
    writeFileSync(log, LOG.map((r) => JSON.stringify(r)).join('\n') + '\n');
    let out = '';
    const code = await runCli(['chargeback', '--log', log, '--month', '2025-03', '--format', 'focus'], { out: (t) => (out += t), err: () => {}, isTty: false });
    expect(code).toBe(0);
    const csv = parseCsv(out);
    expect(csv[0]!.cells).toEqual([...FOCUS_COLUMNS]);
    const billed = FOCUS_COLUMNS.indexOf('BilledCost');
    expect(csv.slice(1).reduce((s, r) => s + micros(r.cells[billed]), 0)).toBe(chargeback(LOG, { month: '2025-03' }).total.fullMicros);
  });
});
