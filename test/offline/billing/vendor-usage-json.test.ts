import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decisionRecordSchema, type DecisionRecord } from '../../../engine/decision-record.js';
import { reconcile } from '../../../offline/billing/reconcile.js';
import { parseVendorUsage, parseVendorUsageFile, parseVendorUsageJson } from '../../../offline/billing/vendor-usage.js';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures');
const read = (p: string) => readFileSync(join(FIX, p), 'utf8');
const sortRows = <T extends { day: string; model: string }>(rows: T[]) => [...rows].sort((a, b) => (a.day + a.model < b.day + b.model ? -1 : 1));
const strip = <T extends { line: number }>(rows: T[]) => rows.map(({ line: _line, ...r }) => r);

describe('OpenAI Usage and Costs API results (JSON)', () => {
  it('read to the same rows as the CSV exports of the same figures', () => {
    const usage = parseVendorUsageJson(read('vendor-usage/openai-usage-completions.json'), 'usage.json');
    const csv = parseVendorUsage(read('reconcile/usage-matching.csv'));
    expect(strip(sortRows(usage))).toEqual(strip(sortRows(csv)).map((r) => ({ ...r, lineItem: undefined })));
    const costs = parseVendorUsageJson(read('vendor-usage/openai-costs.json'), 'costs.json');
    expect(costs).toHaveLength(12); // two pages, saved as an array
    expect(costs[0]).toMatchObject({ day: '2025-03-01', model: 'gpt-4o-mini-2024-07-18', costMicros: 450, lineItem: 'gpt-4o-mini-2024-07-18, input' });
    const costsCsv = parseVendorUsage(read('reconcile/costs-matching.csv'));
    expect(costs.reduce((s, r) => s + r.costMicros!, 0)).toBe(costsCsv.reduce((s, r) => s + r.costMicros!, 0));
  });

  it('reconcile the bundled decision log with no discrepancy, as the CSV exports do', () => {
    const records = read('reconcile/decisions.jsonl').trim().split('\n').map((l) => decisionRecordSchema.parse(JSON.parse(l)));
    const vendor = [...parseVendorUsageFile(read('vendor-usage/openai-usage-completions.json')), ...parseVendorUsageFile(read('vendor-usage/openai-costs.json'))];
    const report = reconcile(records, vendor, { modelNames: { mini: 'gpt-4o-mini', big: 'gpt-4o' } });
    expect(report.compared.length).toBe(6);
    expect(report.discrepancies).toEqual([]);
  });

  it('refuse a cost page fetched without group_by=line_item, naming the fix', () => {
    const page = { object: 'page', data: [{ start_time: 1740787200, end_time: 1740873600, results: [{ object: 'organization.costs.result', amount: { value: 1, currency: 'usd' }, line_item: null }] }] };
    expect(() => parseVendorUsageJson(JSON.stringify(page), 'c.json')).toThrow(/c\.json:1: .*group_by=line_item/);
  });
});

describe('Anthropic usage and cost reports (JSON; cost amount is a decimal string in cents)', () => {
  const rec = (id: string, time: string, input: number, cached: number, output: number, vendor: number): DecisionRecord =>
    decisionRecordSchema.parse({
      v: 1, time, requestId: id, tenant: 'acme', policy: { name: 'p', version: 'v' }, chosen: 'sonnet', model: 'sonnet', tier: 'vendor',
      tokens: { input, output, cached, source: 'vendor' }, cost: { vendor, infra: 0, ops: 0, full: vendor }, latencyMs: 100, outcome: 'ok', attempts: 1,
    });
  const records = [rec('a1', '2025-03-01T10:00:00Z', 1200, 200, 300, 7000), rec('a2', '2025-03-01T11:00:00Z', 800, 0, 200, 5300), rec('a3', '2025-03-02T09:00:00Z', 800, 0, 100, 3900)];

  it('read input as uncached + cache read + cache creation, and cents to micro-dollars', () => {
    const usage = parseVendorUsageJson(read('vendor-usage/anthropic-usage-report.json'));
    expect(usage[0]).toMatchObject({ day: '2025-03-01', model: 'claude-sonnet-4-20250514', inputTokens: 2000, cachedTokens: 200, outputTokens: 500 });
    const cost = parseVendorUsageJson(read('vendor-usage/anthropic-cost-report.json'));
    expect(cost[0]).toMatchObject({ day: '2025-03-01', model: 'claude-sonnet-4-20250514', costMicros: 4800, lineItem: 'Claude Sonnet 4 Usage - Input Tokens' });
    expect(cost.reduce((s, r) => s + r.costMicros!, 0)).toBe(16_200); // 1.62 cents
  });

  it('reconcile with Tollgate records of the same usage, and flag a planted price difference', () => {
    const vendor = [...parseVendorUsageFile(read('vendor-usage/anthropic-usage-report.json')), ...parseVendorUsageFile(read('vendor-usage/anthropic-cost-report.json'))];
    const modelNames = { sonnet: 'claude-sonnet-4-20250514' };
    expect(reconcile(records, vendor, { modelNames }).discrepancies).toEqual([]);
    const dearer = records.map((r) => (r.requestId === 'a3' ? { ...r, cost: { ...r.cost, vendor: 3000, full: 3000 } } : r));
    const d = reconcile(dearer, vendor, { modelNames }).discrepancies;
    expect(d.map((x) => `${x.day} ${x.kind} ${x.metrics.map((m) => m.metric).join(',')}`)).toEqual(['2025-03-02 mismatch costMicros']);
  });

  it('refuse a non-USD amount', () => {
    const page = { data: [{ starting_at: '2025-03-01T00:00:00Z', ending_at: '2025-03-02T00:00:00Z', results: [{ currency: 'EUR', amount: '1.0', model: 'claude-x' }] }] };
    expect(() => parseVendorUsageJson(JSON.stringify(page), 'e.json')).toThrow(/only USD/);
  });
});
