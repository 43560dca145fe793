import { describe, expect, it } from 'vitest';
import { GenaiPricesCatalog } from '../../adapters/genai-prices-catalog.js';
import { compilePolicy } from '../../engine/compiled-policy.js';
import { ContextWindowError, NoEligibleModelError, UnknownModelError } from '../../engine/errors.js';
import { decide, explainDecision, type RouteFacts } from '../../engine/router.js';
import type { Classification } from '../../engine/seams/classifier.js';
import { resolvePolicy } from '../../policies/loader.js';
import type { PolicyInput } from '../../policies/schema.js';
import { simPolicy } from '../support/policies.js';

const compile = (p: PolicyInput) => compilePolicy(resolvePolicy(p), new GenaiPricesCatalog());
const facts = (prompt: number, over: Partial<RouteFacts> = {}): RouteFacts => ({ tenant: 't1', tags: [], promptTokens: new Map([['o200k_base', prompt]]), ...over });
const cls = (quality: Record<string, number>, over: Partial<Classification> = {}): Classification => ({
  task: 'chat', complexity: 0.2, predictedOutputTokens: 200, outputTokensUpper: 600, quality, source: 'test', ...over,
});

describe('decide()', () => {
  const policy = compile(simPolicy({ rules: [{ name: 'floor-70', qualityFloor: 0.7 }] }));

  it('picks the cheapest candidate that meets the quality floor and lists every candidate', () => {
    const d = decide(policy, facts(500), cls({ local: 0.6, mini: 0.8, big: 0.95 }));
    expect(d.chosen.id).toBe('mini');
    expect(d.rule).toBe('floor-70');
    expect(d.candidates.map((c) => [c.model, c.eligible])).toEqual([['local', false], ['mini', true], ['big', true]]);
    expect(d.candidates[0]!.reason).toMatch(/quality 0.600 < floor 0.7/);
    // predicted cost = 500 × 0.15 + 200 × 0.6 µ$ per token
    expect(d.predictedCostMicros).toBe(Math.round(500 * 0.15 + 200 * 0.6));
    expect(explainDecision(d)).toContain('rule "floor-70" → mini');
  });

  it('takes the local model when it is predicted good enough (it is cheapest)', () => {
    expect(decide(policy, facts(500), cls({ local: 0.75, mini: 0.8, big: 0.95 })).chosen.id).toBe('local');
  });

  it('breaks ties deterministically: higher quality, then policy order', () => {
    const p = compile(simPolicy({
      models: [
        { id: 'a', tier: 'vendor', adapter: 'simulated', contextWindow: 1000, prices: { inputPerM: 1, outputPerM: 1 } },
        { id: 'b', tier: 'vendor', adapter: 'simulated', contextWindow: 1000, prices: { inputPerM: 1, outputPerM: 1 } },
      ],
      rules: [],
    }));
    expect(decide(p, facts(10), cls({ a: 0.8, b: 0.8 })).chosen.id).toBe('a');
    expect(decide(p, facts(10), cls({ a: 0.8, b: 0.9 })).chosen.id).toBe('b');
  });

  it('matches rules by tenant, tags, task, complexity and prompt size, first match wins', () => {
    const p = compile(simPolicy({
      rules: [
        { name: 'vip', when: { tenants: ['vip'] }, models: ['big'] },
        { name: 'tagged', when: { tags: ['beta'] }, models: ['mini'] },
        { name: 'hard-code', when: { tasks: ['code'], complexity: { min: 0.5 } }, models: ['big'] },
        { name: 'long', when: { promptTokens: { min: 3000 } }, models: ['mini', 'big'] },
      ],
    }));
    const q = { local: 0.7, mini: 0.8, big: 0.95 };
    expect(decide(p, facts(10, { tenant: 'vip', tags: ['beta'] }), cls(q)).rule).toBe('vip');
    expect(decide(p, facts(10, { tags: ['beta'] }), cls(q)).rule).toBe('tagged');
    expect(decide(p, facts(10), cls(q, { task: 'code', complexity: 0.6 })).rule).toBe('hard-code');
    expect(decide(p, facts(10), cls(q, { task: 'code', complexity: 0.4 })).rule).toBe('default');
    expect(decide(p, facts(5000), cls(q)).rule).toBe('long');
  });

  it('honours a max cost per request and fails typed when nothing qualifies', () => {
    const p = compile(simPolicy({ rules: [{ name: 'cap', maxCostUsd: 0.000001, models: ['mini', 'big'] }] }));
    expect(() => decide(p, facts(5000), cls({ mini: 0.8, big: 0.95 }))).toThrow(NoEligibleModelError);
  });

  it('picks the best available when no candidate meets the floor', () => {
    const d = decide(policy, facts(10), cls({ local: 0.1, mini: 0.3, big: 0.5 }));
    expect(d.chosen.id).toBe('big');
    expect(d.rerouted).toMatch(/floor/);
  });

  it('refuses or reroutes a prompt over the chosen model context window, per policy', () => {
    const q = { local: 0.9, mini: 0.8, big: 0.95 };
    const refuse = compile(simPolicy({ defaults: { onContextOverflow: 'refuse' } }));
    expect(() => decide(refuse, facts(5000), cls(q))).toThrow(ContextWindowError);
    const reroute = compile(simPolicy({ defaults: { onContextOverflow: 'reroute' } }));
    const d = decide(reroute, facts(5000), cls(q));
    expect(d.chosen.id).toBe('mini');
    expect(d.rerouted).toMatch(/context window 4096/);
    expect(() => decide(reroute, facts(200_000), cls(q))).toThrow(ContextWindowError);
  });

  it('routes a pinned model directly and rejects an unknown one', () => {
    expect(decide(policy, facts(10, { pinnedModel: 'big' }), cls({})).chosen.id).toBe('big');
    expect(() => decide(policy, facts(10, { pinnedModel: 'gpt-9' }), cls({}))).toThrow(UnknownModelError);
  });

  it('skips excluded models and drops fallbacks that cannot hold the prompt', () => {
    const p = compile(simPolicy({ fallbacks: { mini: ['local', 'big'] } }));
    const d = decide(p, facts(5000), cls({ local: 0.9, mini: 0.8, big: 0.95 }));
    expect(d.fallbackChain).toEqual(['big']);
    const ex = decide(p, facts(10, { excluded: new Map([['local', 'circuit open']]) }), cls({ local: 0.9, mini: 0.8, big: 0.95 }));
    expect(ex.chosen.id).toBe('mini');
  });
});
