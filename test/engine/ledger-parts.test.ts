import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnthropicAdapter } from '../../adapters/anthropic-adapter.js';
import { OpenAICompatibleAdapter } from '../../adapters/openai-compatible-adapter.js';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import type { DecisionRecord } from '../../engine/decision-record.js';
import { CostLedger, type LedgerRow } from '../../engine/ledger.js';
import type { ModelSpec } from '../../policies/schema.js';
import { fakeAnswer, fakeCacheSplit, type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';
import { sampleRecord } from '../support/decision-records.js';

/**
 * Ledger rows keep each vendor cost part apart (#15 item 6): fresh input, cache reads, cache writes and
 * output (reasoning included) are summed from the records' `cost.parts`, never recomputed, so a part
 * counted twice or dropped shows as a wrong figure here; records without parts land in `unsplit`.
 */
const partsSum = (r: LedgerRow) => r.vendorInputMicros + r.vendorCachedInputMicros + r.vendorCacheWriteMicros + r.vendorOutputMicros + r.vendorUnsplitMicros;

function withParts(i: number, parts: { input: number; cachedInput: number; cacheWrite: number; output: number }, over: Partial<DecisionRecord> = {}): DecisionRecord {
  const base = sampleRecord(i, { outcome: 'ok', requestId: `p-${i}` });
  const vendor = parts.input + parts.cachedInput + parts.cacheWrite + parts.output;
  return { ...base, tokens: { input: 9_000, output: 600, cached: 6_000, cacheWrite: 2_000, cacheWrite1h: 500, reasoning: 400, source: 'vendor' }, cost: { vendor, infra: 7, ops: 3, full: vendor + 10, parts }, cache: undefined, ...over };
}

describe('ledger rows: vendor cost parts', () => {
  const a = withParts(1, { input: 3_000, cachedInput: 1_800, cacheWrite: 10_500, output: 9_000 }, { tenant: 'acme', serviceTier: 'priority' });
  const b = withParts(2, { input: 100, cachedInput: 20, cacheWrite: 0, output: 400 }, { tenant: 'acme', tokens: { input: 50, output: 40, cached: 10, source: 'vendor' } });
  const old = sampleRecord(4, { outcome: 'ok', tenant: 'acme', requestId: 'old', cache: undefined, cost: { vendor: 777, infra: 0, ops: 5, full: 782 } }); // logged before parts existed
  const hit = sampleRecord(11, { outcome: 'ok', tenant: 'acme', requestId: 'hit' }); // a cache hit: cost 0, no parts

  it('sums each part once: exact totals, token subsets included', () => {
    const l = new CostLedger();
    for (const r of [a, b, old, hit]) l.record(r);
    const t = l.total();
    expect(t).toMatchObject({
      vendorMicros: 24_300 + 520 + 777,
      vendorInputMicros: 3_100, vendorCachedInputMicros: 1_820, vendorCacheWriteMicros: 10_500, vendorOutputMicros: 9_400, vendorUnsplitMicros: 777,
      cacheWriteTokens: 2_000, cacheWrite1hTokens: 500, reasoningTokens: 400,
    });
    expect(t.cachedTokens).toBe(6_000 + 10 + old.tokens.cached + hit.tokens.cached);
    expect(partsSum(t)).toBe(t.vendorMicros);
  });

  it('every row of every dimension splits its own vendor cost exactly; service tiers are a dimension', () => {
    const l = new CostLedger();
    const records = [a, b, old, hit, ...Array.from({ length: 60 }, (_, i) => withParts(100 + i, { input: i, cachedInput: 2 * i, cacheWrite: i % 3, output: 5 * i }, { serviceTier: i % 4 ? 'flex' : undefined }))];
    for (const r of records) l.record(r);
    for (const by of ['tenant', 'model', 'rule', 'day', 'tier', 'serviceTier'] as const) {
      const rows = l.rows(by);
      for (const row of rows) expect(partsSum(row), `${by}=${row.key}`).toBe(row.vendorMicros);
      expect(rows.reduce((s, r) => s + r.vendorCachedInputMicros, 0)).toBe(l.total().vendorCachedInputMicros); // no row drops or repeats a part
    }
    expect(Object.fromEntries(l.rows('serviceTier').map((r) => [r.key, r.requests]))).toEqual({ priority: 1, flex: 45, '(none)': 18 });
  });
});

describe('the live ledger from real vendor usage (fake vendors on 127.0.0.1)', () => {
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await startFakeVendor();
  });
  afterAll(() => vendor.close());

  const model = (id: string, adapter: 'anthropic' | 'openai-compatible', prices: ModelSpec['prices']) => ({
    id, tier: 'vendor' as const, adapter, endpoint: adapter === 'anthropic' ? vendor.url : `${vendor.url}/v1`, upstreamModel: 'cache', contextWindow: 200000, prices, quality: 0.9,
  });

  it('Anthropic cache reads and writes and OpenAI cached input: each part once, at its own rate, in the ledger', async () => {
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({
      policy: {
        name: 'ledger-parts',
        models: [model('claude', 'anthropic', { inputPerM: 3, outputPerM: 15, cachedInputPerM: 0.3, cacheWritePerM: 3.75 }), model('gpt', 'openai-compatible', { inputPerM: 2.5, outputPerM: 10, cachedInputPerM: 1.25 })],
        rules: [{ name: 'r', models: ['claude', 'gpt'] }],
      },
      adapters: { anthropic: new AnthropicAdapter(), 'openai-compatible': new OpenAICompatibleAdapter() },
      decisionLog: sink,
    });
    const content = 'x'.repeat(4000);
    await tg.complete({ tenant: 't', model: 'claude', messages: [{ role: 'user', content }], maxOutputTokens: 100 });
    for await (const _ of tg.stream({ tenant: 't', model: 'claude', messages: [{ role: 'user', content }], maxOutputTokens: 100 })) void _;
    await tg.complete({ tenant: 't', model: 'gpt', messages: [{ role: 'user', content }], maxOutputTokens: 100 });
    const ans = fakeAnswer({ messages: [{ content }], max_tokens: 100 });
    const split = fakeCacheSplit(ans.promptTokens);
    const claude = tg.ledger.rows('model').find((r) => r.key === 'claude')!;
    const gpt = tg.ledger.rows('model').find((r) => r.key === 'gpt')!;
    expect(claude).toMatchObject({
      requests: 2,
      vendorInputMicros: 2 * Math.round(split.fresh * 3),
      vendorCachedInputMicros: 2 * Math.round(split.read * 0.3), // not at the 3 $/M input rate
      vendorCacheWriteMicros: 2 * Math.round(split.write * 3.75), // not as plain input
      vendorOutputMicros: 2 * Math.round(ans.completionTokens * 15),
      vendorUnsplitMicros: 0,
      cachedTokens: 2 * split.read,
      cacheWriteTokens: 2 * split.write,
    });
    expect(gpt).toMatchObject({ vendorInputMicros: Math.round((ans.promptTokens - split.read) * 2.5), vendorCachedInputMicros: Math.round(split.read * 1.25), vendorCacheWriteMicros: 0, vendorUnsplitMicros: 0 });
    const total = tg.ledger.total();
    expect(partsSum(total)).toBe(total.vendorMicros);
    expect(total.vendorMicros).toBe(sink.records.reduce((s, r) => s + r.cost.vendor, 0));
    await tg.close();
  });
});
