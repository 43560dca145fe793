import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/run-cli.js';
import type { DecisionRecord } from '../../../engine/decision-record.js';
import { decisionRecordSchema } from '../../../engine/decision-record.js';
import { reconcile } from '../../../offline/billing/reconcile.js';
import { parseCsv, parseVendorUsage } from '../../../offline/billing/vendor-usage.js';

/**
 * Fixtures (test/fixtures/reconcile): a 3-day decision log over two vendor models (policy ids `mini`,
 * `big` = gpt-4o-mini, gpt-4o), plus a cache hit, a self-hosted request and a failed request that must
 * not count; matching OpenAI usage and cost exports, and exports with planted discrepancies.
 */
const FIX = join(import.meta.dirname, '..', '..', 'fixtures', 'reconcile');
const LOG = join(FIX, 'decisions.jsonl');
const records: DecisionRecord[] = readFileSync(LOG, 'utf8').trim().split('\n').map((l) => decisionRecordSchema.parse(JSON.parse(l)));
const csv = (name: string) => parseVendorUsage(readFileSync(join(FIX, name), 'utf8'), name);
const modelNames = { mini: 'gpt-4o-mini', big: 'gpt-4o' };

describe('vendor export parsing', () => {
  it('reads the OpenAI usage export columns (unix start_time, snapshot model names)', () => {
    const rows = csv('usage-matching.csv');
    expect(rows[0]).toMatchObject({ day: '2025-03-01', model: 'gpt-4o-mini-2024-07-18', inputTokens: 3000, outputTokens: 600, cachedTokens: 0, requests: 3 });
  });

  it('reads the cost export: quoted line items with commas, amounts to micro-dollars', () => {
    const rows = csv('costs-matching.csv');
    expect(rows[0]).toMatchObject({ day: '2025-03-01', model: 'gpt-4o-mini-2024-07-18', lineItem: 'gpt-4o-mini-2024-07-18, input', costMicros: 450 });
  });

  it('accepts header aliases, ISO days, a BOM and CRLF; rejects unusable files with the line', () => {
    const rows = parseVendorUsage('\ufeffDate,Model Name,Prompt Tokens,Completion Tokens,Requests\r\n2025-03-01,gpt-4o,10,5,1\r\n');
    expect(rows).toEqual([expect.objectContaining({ day: '2025-03-01', model: 'gpt-4o', inputTokens: 10, outputTokens: 5, requests: 1 })]);
    expect(parseCsv('a,"b ""q"", c"\n1,2\n')).toEqual([{ line: 1, cells: ['a', 'b "q", c'] }, { line: 2, cells: ['1', '2'] }]);
    expect(() => parseVendorUsage('model,input_tokens\ngpt-4o,1\n', 'x.csv')).toThrow(/x\.csv:1: no time column/);
    expect(() => parseVendorUsage('date,model,input_tokens\n2025-03-01,gpt-4o,lots\n', 'x.csv')).toThrow(/x\.csv:2: input_tokens is not a non-negative number/);
    expect(() => parseVendorUsage('date,model,amount_value,amount_currency\n2025-03-01,gpt-4o,1,eur\n')).toThrow(/only USD/);
  });
});

describe('reconcile', () => {
  it('finds no difference against matching usage and cost exports', () => {
    const r = reconcile(records, [...csv('usage-matching.csv'), ...csv('costs-matching.csv')], { modelNames });
    expect(r.discrepancies).toEqual([]);
    expect(r.compared).toHaveLength(6);
    expect(r.compared.find((c) => c.day === '2025-03-01' && c.model === 'gpt-4o-mini')!.ours.requests).toBe(3); // cache hit and local model excluded
  });

  it('finds the missing day and the double-counted request, with the requests that explain it', () => {
    const r = reconcile(records, csv('usage-planted.csv'), { modelNames });
    expect(r.discrepancies.map((d) => [d.day, d.model, d.kind])).toEqual([
      ['2025-03-02', 'gpt-4o-mini', 'missing_in_export'],
      ['2025-03-03', 'gpt-4o', 'mismatch'],
    ]);
    const dbl = r.discrepancies[1]!;
    expect(dbl.metrics.map((m) => m.metric)).toEqual(['requests', 'inputTokens', 'outputTokens']);
    expect(dbl.metrics[0]).toMatchObject({ ours: 2, theirs: 3 });
    expect(dbl.hint).toMatch(/1 more request/);
    expect(dbl.explainers.map((e) => e.reason).sort()).toEqual(['error', 'retried']);
  });

  it('finds a price change: tokens agree, cost differs', () => {
    const r = reconcile(records, [...csv('usage-matching.csv'), ...csv('costs-price-change.csv')], { modelNames });
    expect(r.discrepancies).toHaveLength(1);
    const d = r.discrepancies[0]!;
    expect([d.day, d.model, d.kind]).toEqual(['2025-03-02', 'gpt-4o', 'mismatch']);
    expect(d.metrics).toEqual([{ metric: 'costMicros', ours: 6500, theirs: 7800, relDiff: expect.closeTo(1300 / 7800, 6) }]);
    expect(d.hint).toMatch(/price/);
  });

  it('respects the tolerance and reports usage Tollgate never logged', () => {
    const near = [...csv('usage-matching.csv')].map((v) => (v.day === '2025-03-01' && v.model.startsWith('gpt-4o-2') ? { ...v, inputTokens: v.inputTokens! + 30 } : v));
    expect(reconcile(records, near, { modelNames, tolerance: 0.01 }).discrepancies).toEqual([]);
    expect(reconcile(records, near, { modelNames, tolerance: 0.001 }).discrepancies).toHaveLength(1);
    const extra = [...csv('usage-matching.csv'), { line: 99, day: '2025-03-02', model: 'o3-mini', inputTokens: 10, outputTokens: 10, requests: 1 }];
    expect(reconcile(records, extra, { modelNames }).discrepancies.map((d) => d.kind)).toEqual(['missing_in_log']);
  });
});

describe('tollgate reconcile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-rec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const policy = join(dir, 'policy.json');
  writeFileSync(policy, JSON.stringify({
    name: 'recon',
    models: [
      { id: 'mini', tier: 'vendor', adapter: 'openai-compatible', endpoint: 'http://127.0.0.1:9/v1', upstreamModel: 'gpt-4o-mini', contextWindow: 128000, prices: { inputPerM: 0.15, outputPerM: 0.6 } },
      { id: 'big', tier: 'vendor', adapter: 'openai-compatible', endpoint: 'http://127.0.0.1:9/v1', upstreamModel: 'gpt-4o', contextWindow: 128000, prices: { inputPerM: 2.5, outputPerM: 10 } },
    ],
  }));
  const run = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(['reconcile', '--log', LOG, '--policy', policy, ...args], { out: (t) => (out += t), err: (t) => (err += t), isTty: false });
    return { code, out, err };
  };

  it('exits 0 on a matching export and 1 with each planted difference explained', async () => {
    const ok = await run('--usage', join(FIX, 'usage-matching.csv'), join(FIX, 'costs-matching.csv'));
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('no differences beyond tolerance');
    const bad = await run('--usage', join(FIX, 'usage-planted.csv'), '--tolerance', '0.01');
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('2025-03-02  gpt-4o-mini  missing_in_export');
    expect(bad.out).toContain('2025-03-03  gpt-4o  mismatch');
    expect(bad.out).toMatch(/r\d+: retried/);
    expect(bad.err).toContain('2 difference(s) beyond tolerance');
    const json = JSON.parse((await run('--usage', join(FIX, 'costs-price-change.csv'), '--format', 'json')).out);
    expect(json.discrepancies[0].metrics[0].metric).toBe('costMicros');
  });

  it('gives one-line errors for a missing export and a bad tolerance', async () => {
    const missing = await run('--usage', join(dir, 'nope.csv'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/file_not_found.*nope\.csv/);
    expect((await run('--usage', join(FIX, 'usage-matching.csv'), '--tolerance', 'abc')).code).toBe(2);
  });
});
