import { describe, expect, it } from 'vitest';
import { MemoryBudgetStore } from '../../adapters/stores/memory-budget-store.js';
import { createTollgate } from '../../compose.js';
import { GuardBook, guardLevelOf } from '../../engine/guard-state.js';
import type { Policy, PolicyInput } from '../../policies/schema.js';

const DAY_START = Date.UTC(2026, 2, 10);

describe('GuardBook (xstate machine per tenant)', () => {
  const tenants: Policy['tenants'] = { acme: { budgets: [{ window: 'day', usd: 10 }], actions: [] } };

  it('moves to the level each reservation met, up and back down, counting changes only', () => {
    const g = new GuardBook(tenants);
    const t = DAY_START + 3_600_000;
    g.observe('acme', 'normal', t);
    expect(g.snapshot(t)).toEqual([]); // never left normal: nothing kept
    g.observe('acme', 'warned', t + 1, 'warn');
    g.observe('acme', 'warned', t + 2, 'warn');
    expect(g.describe('acme', t + 2)).toMatchObject({ state: 'warned', since: t + 1, lastAt: t + 2, transitions: 1, lastAction: 'warn' });
    g.observe('acme', 'downgraded', t + 3, 'downgrade:distilled');
    g.observe('acme', 'throttled', t + 4, 'throttle:900ms');
    g.observe('acme', 'refused', t + 5, 'refuse');
    expect(g.describe('acme', t + 5)).toMatchObject({ state: 'refused', since: t + 5, transitions: 4, resetAt: DAY_START + 86_400_000 });
    g.observe('acme', 'downgraded', t + 6, 'downgrade:distilled'); // spend fell back (a settle came in under its reservation)
    expect(g.describe('acme', t + 6)).toMatchObject({ state: 'downgraded', transitions: 5 });
    g.observe('acme', 'normal', t + 7);
    expect(g.describe('acme', t + 7)).toMatchObject({ state: 'normal', transitions: 6 });
  });

  it('falls back to normal when the budget window turns with no request since', () => {
    const g = new GuardBook(tenants);
    g.observe('acme', 'throttled', DAY_START + 1_000, 'throttle:300ms');
    expect(g.describe('acme', DAY_START + 86_399_999).state).toBe('throttled');
    expect(g.describe('acme', DAY_START + 86_400_000)).toMatchObject({ state: 'normal', since: DAY_START + 86_400_000, transitions: 2 });
  });

  it('a rolling window turns once its whole span has passed since the last observation', () => {
    const g = new GuardBook({ acme: { budgets: [{ window: 'rolling-hour', tokens: 100 }], actions: [] } });
    g.observe('acme', 'warned', 0, 'warn');
    g.observe('acme', 'warned', 1_800_000, 'warn');
    expect(g.describe('acme', 3_600_000).state).toBe('warned');
    expect(g.describe('acme', 1_800_000 + 3_600_000).state).toBe('normal');
  });

  it('reads the level from a settled record', () => {
    const base = { outcome: 'ok' as const };
    expect(guardLevelOf({ ...base, actions: ['warn', 'throttle:400ms'] })).toEqual({ level: 'throttled', action: 'throttle:400ms' });
    expect(guardLevelOf({ ...base, actions: ['downgrade:unavailable'] })).toEqual({ level: 'downgraded', action: 'downgrade:unavailable' });
    expect(guardLevelOf({ outcome: 'refused', error: { code: 'budget_exceeded', message: '' } })).toEqual({ level: 'refused', action: 'budget_exceeded' });
    expect(guardLevelOf({ outcome: 'refused', actions: ['refuse'], error: { code: 'budget_action_refused', message: '' } })?.level).toBe('refused');
    expect(guardLevelOf(base)).toEqual({ level: 'normal' });
    expect(guardLevelOf({ ...base, cache: { hit: true, savedMicros: 0 } })).toBeUndefined();
    expect(guardLevelOf({ outcome: 'refused', error: { code: 'rate_limited', message: '' } })).toBeUndefined();
  });
});

describe('guard state through the engine (near-limit actions on the engine clock)', () => {
  const LIMIT = 10_000;
  const policy: PolicyInput = {
    name: 'guard-e2e',
    models: [
      { id: 'vend', tier: 'vendor', adapter: 'simulated', contextWindow: 128_000, prices: { inputPerM: 0.1, outputPerM: 0.2 }, quality: 0.9 },
      { id: 'dist', tier: 'distilled', adapter: 'simulated', contextWindow: 128_000, prices: { inputPerM: 0.5, outputPerM: 1 }, quality: 0.7 },
    ],
    rules: [{ name: 'default', qualityFloor: 0.5 }],
    tenants: {},
  };
  const tenants: Policy['tenants'] = {
    acme: {
      budgets: [{ window: 'day', tokens: LIMIT }],
      actions: [
        { atFraction: 0.2, action: 'warn' },
        { atFraction: 0.4, action: 'downgrade', toTier: 'distilled' },
        { atFraction: 0.6, action: 'throttle' },
        { atFraction: 0.8, action: 'refuse' },
      ],
    },
  };
  policy.tenants = tenants;

  it('normal → warned → downgraded → throttled → refused as the day fills, then normal when the day turns', async () => {
    let t = DAY_START + 12 * 3_600_000;
    const slept: number[] = [];
    const budgetStore = new MemoryBudgetStore(tenants, { clock: () => t });
    const tg = createTollgate({ policy, budgetStore, clock: () => t, sleep: async (ms) => void slept.push(ms) });
    const state = () => tg.inspect().tenants.find((g) => g.tenant === 'acme')?.state ?? 'normal';
    const used = async () => (await budgetStore.usage('acme'))[0]!.used;
    /** A request whose reservation reaches about `fraction` of the day's tokens. */
    const reach = async (fraction: number) => {
      const out = Math.max(1, Math.floor(fraction * LIMIT) - (await used()) - 20);
      return tg.complete({ tenant: 'acme', maxOutputTokens: out, messages: [{ role: 'user', content: 'Say hello.' }] }).catch((e: unknown) => e);
    };
    const seen: string[] = [];
    for (const f of [0.1, 0.25, 0.45, 0.65, 0.9]) {
      await reach(f);
      seen.push(state());
      t += 60_000;
    }
    expect(seen).toEqual(['normal', 'warned', 'downgraded', 'throttled', 'refused']);
    expect(slept.length).toBe(1); // the throttle waited on the injected sleep
    const refused = tg.inspect().tenants[0]!;
    expect(refused).toMatchObject({ tenant: 'acme', state: 'refused', lastAction: 'refuse', transitions: 4, resetAt: DAY_START + 86_400_000 });
    t = DAY_START + 86_400_000; // the day's window turns
    expect(state()).toBe('normal');
    await reach(0.05);
    expect(state()).toBe('normal');
  });
});
