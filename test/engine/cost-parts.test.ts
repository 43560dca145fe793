import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnthropicAdapter } from '../../adapters/anthropic-adapter.js';
import { OpenAICompatibleAdapter } from '../../adapters/openai-compatible-adapter.js';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import { pricesFromSpec } from '../../engine/compiled-policy.js';
import { fullCost, vendorCost, vendorCostParts } from '../../engine/cost.js';
import type { ModelSpec } from '../../policies/schema.js';
import { fakeAnswer, fakeCacheSplit, type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';

/**
 * Pricing as vendors bill (#15 item 6). Each case fails if a part is counted twice or at the wrong rate;
 * the known double-counting bugs of peer gateways are cases here.
 */

// $3 input, $15 output, $0.30 cache read, $3.75 5-min write, $6 1-h write per 1M (Claude Sonnet's list prices).
const claude = pricesFromSpec({ inputPerM: 3, outputPerM: 15, cachedInputPerM: 0.3, cacheWritePerM: 3.75, cacheWrite1hPerM: 6 });
// $2.50 input, $10 output, $1.25 cached; flex half price, priority ~1.7× (gpt-4o-class list prices).
const gpt = pricesFromSpec({ inputPerM: 2.5, outputPerM: 10, cachedInputPerM: 1.25, serviceTiers: { flex: { inputPerM: 1.25, outputPerM: 5, cachedInputPerM: 0.625 }, priority: { inputPerM: 4.25, outputPerM: 17, cachedInputPerM: 2.125 } } });

describe('vendor cost parts', () => {
  it('OpenAI cached_tokens is a subset of prompt_tokens: cached tokens are not also charged as fresh input', () => {
    const u = { inputTokens: 10_000, outputTokens: 1_000, cachedInputTokens: 6_000 };
    const p = vendorCostParts(gpt, u);
    expect(p).toMatchObject({ input: 4_000 * 2.5, cachedInput: 6_000 * 1.25, cacheWrite: 0, output: 1_000 * 10 });
    expect(p.total).toBe(10_000 + 7_500 + 10_000);
    expect(p.total).not.toBe(10_000 * 2.5 + 7_500 + 10_000); // the double count
  });

  it('Anthropic cache reads and writes (5-minute and 1-hour rates) are separate from fresh input', () => {
    // input_tokens 1,000 fresh + cache_read 6,000 + cache_creation 3,000 (1,000 of them 1-hour) = 10,000 prompt tokens
    const u = { inputTokens: 10_000, outputTokens: 500, cachedInputTokens: 6_000, cacheWriteTokens: 3_000, cacheWrite1hTokens: 1_000 };
    const p = vendorCostParts(claude, u);
    expect(p).toMatchObject({ input: 1_000 * 3, cachedInput: 6_000 * 0.3, cacheWrite: 2_000 * 3.75 + 1_000 * 6, output: 500 * 15 });
    expect(p.total).toBe(3_000 + 1_800 + 13_500 + 7_500);
    expect(p.total).not.toBe(vendorCost(claude, { inputTokens: 10_000, outputTokens: 500, cachedInputTokens: 6_000 })); // writes charged as plain input
  });

  it('reasoning tokens are output tokens: billed once, at the output rate', () => {
    const u = { inputTokens: 1_000, outputTokens: 5_000, cachedInputTokens: 0, reasoningTokens: 4_000 };
    expect(vendorCost(gpt, u)).toBe(1_000 * 2.5 + 5_000 * 10);
  });

  it('service tiers are priced by the tier the vendor reports it served; unpriced tiers at standard rates', () => {
    const u = { inputTokens: 10_000, outputTokens: 1_000, cachedInputTokens: 2_000 };
    expect(vendorCost(gpt, { ...u, serviceTier: 'flex' })).toBe(8_000 * 1.25 + 2_000 * 0.625 + 1_000 * 5);
    expect(vendorCost(gpt, { ...u, serviceTier: 'priority' })).toBe(8_000 * 4.25 + 2_000 * 2.125 + 1_000 * 17);
    expect(vendorCost(gpt, { ...u, serviceTier: 'default' })).toBe(8_000 * 2.5 + 2_000 * 1.25 + 1_000 * 10);
  });

  it('embeddings are input-only', () => {
    const emb = pricesFromSpec({ inputPerM: 0.02, outputPerM: 0 });
    expect(fullCost({ price: emb, infraPerM: 0, gpuHoursPerM: 0, opsBps: 0, opsPerM: 0 }, { inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 0 }).full).toBe(20_000);
  });

  it('parts always sum to the vendor cost (one rounding, given to the largest part)', () => {
    const cheap = pricesFromSpec({ inputPerM: 0.075, outputPerM: 0.3, cachedInputPerM: 0.0375, cacheWritePerM: 0.09 });
    for (let i = 1; i < 200; i++) {
      const p = vendorCostParts(cheap, { inputTokens: 37 * i, outputTokens: 11 * i, cachedInputTokens: 13 * i, cacheWriteTokens: 5 * i });
      expect(p.input + p.cachedInput + p.cacheWrite + p.output).toBe(p.total);
    }
  });
});

describe('records keep each part, from real vendor streams', () => {
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await startFakeVendor();
  });
  afterAll(() => vendor.close());

  const model = (id: string, adapter: 'anthropic' | 'openai-compatible', prices: ModelSpec['prices']) => ({
    id, tier: 'vendor' as const, adapter, endpoint: adapter === 'anthropic' ? vendor.url : `${vendor.url}/v1`, upstreamModel: 'cache', contextWindow: 200000, prices, quality: 0.9,
  });

  it('streamed Anthropic cache reads are charged at the cache-read rate and writes at the write rate, not as full input', async () => {
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({
      policy: { name: 'parts', models: [model('claude', 'anthropic', { inputPerM: 3, outputPerM: 15, cachedInputPerM: 0.3, cacheWritePerM: 3.75 })], rules: [{ name: 'r', models: ['claude'] }] },
      adapters: { anthropic: new AnthropicAdapter(), 'openai-compatible': new OpenAICompatibleAdapter() },
      decisionLog: sink,
    });
    const content = 'x'.repeat(4000);
    for await (const _ of tg.stream({ tenant: 't', messages: [{ role: 'user', content }], maxOutputTokens: 100 })) void _;
    const r = sink.records.at(-1)!;
    const a = fakeAnswer({ messages: [{ content }], max_tokens: 100 });
    const split = fakeCacheSplit(a.promptTokens);
    expect(r.tokens).toMatchObject({ input: a.promptTokens, cached: split.read, cacheWrite: split.write, output: a.completionTokens, source: 'vendor' });
    const exact = (split.fresh * 3 + split.read * 0.3 + split.write * 3.75 + a.completionTokens * 15);
    expect(r.cost.vendor).toBe(Math.round(exact));
    expect(r.cost.parts).toEqual({ input: Math.round(split.fresh * 3), cachedInput: Math.round(split.read * 0.3), cacheWrite: Math.round(split.write * 3.75), output: Math.round(a.completionTokens * 15) });
    await tg.close();
  });

  it('OpenAI streamed cached_tokens: a subset, priced once', async () => {
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({
      policy: { name: 'parts', models: [model('gpt', 'openai-compatible', { inputPerM: 2.5, outputPerM: 10, cachedInputPerM: 1.25 })], rules: [{ name: 'r', models: ['gpt'] }] },
      adapters: { anthropic: new AnthropicAdapter(), 'openai-compatible': new OpenAICompatibleAdapter() },
      decisionLog: sink,
    });
    const content = 'y'.repeat(4000);
    for await (const _ of tg.stream({ tenant: 't', messages: [{ role: 'user', content }], maxOutputTokens: 100 })) void _;
    const r = sink.records.at(-1)!;
    const a = fakeAnswer({ messages: [{ content }], max_tokens: 100 });
    const read = fakeCacheSplit(a.promptTokens).read;
    expect(r.tokens).toMatchObject({ input: a.promptTokens, cached: read });
    expect(r.cost.vendor).toBe(Math.round((a.promptTokens - read) * 2.5 + read * 1.25 + a.completionTokens * 10));
    await tg.close();
  });
});
