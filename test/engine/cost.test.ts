import { describe, expect, it } from 'vitest';
import { GenaiPricesCatalog } from '../../adapters/genai-prices-catalog.js';
import { compilePolicy, pricesFromSpec } from '../../engine/compiled-policy.js';
import { costPerMillion, fullCost, gpuHoursPerMillion, infraMicrosPerMillion, vendorCost } from '../../engine/cost.js';
import { MissingPriceError } from '../../engine/errors.js';
import { usdToMicros } from '../../engine/money.js';
import { resolvePolicy } from '../../policies/loader.js';
import type { ModelSpec } from '../../policies/schema.js';
import { simPolicy } from '../support/policies.js';

const price = pricesFromSpec({ inputPerM: 2.5, outputPerM: 10, cachedInputPerM: 1.25 });

describe('cost arithmetic (integer micro-dollars)', () => {
  it('computes vendor cost with cached input at its own price', () => {
    // 1,000 fresh input × $2.50/M + 500 output × $10/M = 2,500 + 5,000 µ$
    expect(vendorCost(price, { inputTokens: 1000, outputTokens: 500, cachedInputTokens: 0 })).toBe(7500);
    // 400 of the 1,000 cached: 600 × 2.5 + 400 × 1.25 + 500 × 10 = 1,500 + 500 + 5,000
    expect(vendorCost(price, { inputTokens: 1000, outputTokens: 500, cachedInputTokens: 400 })).toBe(7000);
  });

  it('rounds once per request and never produces fractions', () => {
    const cheap = pricesFromSpec({ inputPerM: 0.075, outputPerM: 0.3 });
    const c = vendorCost(cheap, { inputTokens: 7, outputTokens: 3, cachedInputTokens: 0 });
    expect(Number.isInteger(c)).toBe(true);
    expect(c).toBe(Math.round((7 * 75_000 + 3 * 300_000) / 1e6));
  });

  it('applies the long-context tier to the whole request once the prompt passes it', () => {
    const tiered = pricesFromSpec({ inputPerM: 1.25, outputPerM: 5, tiers: [{ above: 128_000, inputPerM: 2.5, outputPerM: 10 }] });
    expect(vendorCost(tiered, { inputTokens: 100_000, outputTokens: 0, cachedInputTokens: 0 })).toBe(125_000);
    expect(vendorCost(tiered, { inputTokens: 300_000, outputTokens: 1000, cachedInputTokens: 0 })).toBe(750_000 + 10_000);
  });

  it('adds infra from GPU-hours and ops overhead; full = vendor + infra + ops', () => {
    // 1 GPU at $3.60/h serving 1,000 tok/s: 1M tokens take 1000 s = 0.2778 GPU-h = $1.00
    expect(gpuHoursPerMillion(1, 1000)).toBeCloseTo(0.27778, 4);
    expect(infraMicrosPerMillion(3.6, 1, 1000)).toBe(1_000_000);
    const basis = { price, infraPerM: 1_000_000, gpuHoursPerM: 0.2778, opsBps: 500, opsPerM: usdToMicros(0.1) };
    const c = fullCost(basis, { inputTokens: 1000, outputTokens: 500, cachedInputTokens: 0 });
    expect(c.vendor).toBe(7500);
    expect(c.infra).toBe(1500); // 1,500 tokens × $1/M
    expect(c.ops).toBe(Math.round((7500 + 1500) * 0.05) + 150); // 5% + $0.10/M × 1,500
    expect(c.full).toBe(c.vendor + c.infra + c.ops);
    expect(costPerMillion(c.full, 1500)).toBe(Math.round((c.full * 1e6) / 1500));
    expect(costPerMillion(123, 0)).toBe(0);
  });
});

describe('price catalog (@pydantic/genai-prices, offline)', () => {
  const catalog = new GenaiPricesCatalog(new Date('2025-06-01T00:00:00Z'));
  const spec = (over: Partial<ModelSpec>): ModelSpec => ({ ...resolvePolicy(simPolicy()).policy.models[1]!, prices: undefined, ...over });

  it('reads list prices for a known model', () => {
    const p = catalog.priceFor(spec({ id: 'gpt-4o', adapter: 'openai-compatible' }));
    expect(p.inputPerM).toBe(2_500_000);
    expect(p.outputPerM).toBe(10_000_000);
    expect(p.cachedInputPerM).toBe(1_250_000);
  });

  it('keeps long-context tiers', () => {
    const p = catalog.priceFor(spec({ id: 'g', catalog: { provider: 'google', model: 'gemini-1.5-pro' } }));
    expect(p.tiers.length).toBeGreaterThan(0);
    expect(p.tiers[0]!.inputPerM).toBeGreaterThan(p.inputPerM);
  });

  it('throws MissingPriceError for an unknown model instead of pricing it at zero', () => {
    expect(() => catalog.priceFor(spec({ id: 'no-such-model-xyz' }))).toThrow(MissingPriceError);
    const policy = resolvePolicy(simPolicy({ models: [{ id: 'mystery-model-9', tier: 'vendor', adapter: 'simulated', contextWindow: 1000 }] }));
    expect(() => compilePolicy(policy, catalog)).toThrowError(/mystery-model-9/);
  });

  it('lets a policy price override the catalog', () => {
    const policy = resolvePolicy(simPolicy());
    const compiled = compilePolicy(policy, catalog);
    expect(compiled.byId.get('big')!.basis.price.inputPerM).toBe(2_500_000);
    expect(compiled.byId.get('local')!.basis.infraPerM).toBe(50_000); // $3.60/h at 20,000 tok/s
  });
});
