import { describe, expect, it } from 'vitest';
import { MemoryBudgetStore } from '../../../adapters/stores/memory-budget-store.js';
import { Prng } from '../../../offline/trace/index.js';
import type { Policy } from '../../../policies/schema.js';

const TENANTS = {
  month: { budgets: [{ window: 'month', usd: 0.5 }], actions: [] },
  rolling: { budgets: [{ window: 'rolling-hour', usd: 0.02 }, { window: 'day', tokens: 40_000 }], actions: [] },
  tagged: { budgets: [{ window: 'day', usd: 0.01, tag: 'batch' }], actions: [] },
  free: { budgets: [], actions: [{ atFraction: 0.5, action: 'warn' }] },
} as unknown as Policy['tenants'];

/** One store driven like the engine (reserveSync for everyone), one like the fast replay (reserveUnbudgetedSync where there is no budget). */
function drive(seed: number, steps: number, monotonic: boolean): { engine: unknown[]; fast: unknown[] } {
  const out = { engine: [] as unknown[], fast: [] as unknown[] };
  for (const mode of ['engine', 'fast'] as const) {
    const prng = new Prng(seed);
    let now = Date.UTC(2024, 5, 3);
    const store = new MemoryBudgetStore(TENANTS, { clock: () => now, doneTtlMs: 60_000 });
    const tenants = ['month', 'rolling', 'tagged', 'free', 'nobody'];
    for (let i = 0; i < steps; i++) {
      now += monotonic ? Math.floor(prng.next() * 4_000) : Math.floor(prng.next() * 8_000) - 3_000;
      const tenant = tenants[Math.floor(prng.next() * tenants.length)]!;
      const id = `r${prng.next() < 0.1 ? Math.floor(prng.next() * 50) : i}`; // some ids repeat, within and beyond the TTL
      const req = { tenant, requestId: id, micros: Math.floor(prng.next() * 4_000), tokens: Math.floor(prng.next() * 900), tags: prng.next() < 0.5 ? ['batch'] : [] };
      const skip = mode === 'fast' && !store.hasBudgets(tenant);
      let result: unknown;
      try {
        const r = skip ? store.reserveUnbudgetedSync(req) : store.reserveSync(req);
        result = { usedFraction: r.usedFraction, ...(skip ? {} : { id: r.id, micros: r.micros }) };
        const actual = { micros: Math.floor(prng.next() * 5_000), tokens: Math.floor(prng.next() * 900) };
        const settle = prng.next() < 0.8;
        if (!skip) {
          if (settle) store.settleSync(r, actual);
          else store.refundSync(r);
        }
      } catch (e) {
        result = { code: (e as { code: string }).code, message: (e as Error).message };
      }
      // Budget-less tenants' answers agree on what the fast replay reads (usedFraction); budgeted ones agree in full.
      out[mode].push(store.hasBudgets(tenant) ? result : { usedFraction: (result as { usedFraction?: number }).usedFraction });
    }
  }
  return out;
}

describe('MemoryBudgetStore.reserveUnbudgetedSync', () => {
  it('knows which tenants have budgets', () => {
    const store = new MemoryBudgetStore(TENANTS);
    expect(['month', 'rolling', 'tagged', 'free', 'nobody'].map((t) => store.hasBudgets(t))).toEqual([true, true, true, false, false]);
    expect(store.reserveUnbudgetedSync({ tenant: 'free', requestId: 'x', micros: 5, tokens: 2 })).toEqual({ id: 'x', tenant: 'free', micros: 5, tokens: 2, usedFraction: 0 });
    expect(() => store.reserveUnbudgetedSync({ tenant: 'free', requestId: 'x', micros: -1, tokens: 2 })).toThrow(/non-negative integer/);
  });

  it('leaves every budgeted tenant’s reservations and refusals exactly as reserveSync would (repeated ids, sweeps, time going back)', () => {
    for (const monotonic of [true, false]) {
      for (const seed of [1, 2, 3]) {
        const { engine, fast } = drive(seed, 6_000, monotonic);
        expect(fast, `seed ${seed} monotonic ${monotonic}`).toEqual(engine);
        expect(engine.some((r) => (r as { code?: string }).code === 'budget_exceeded')).toBe(true);
      }
    }
  });
});
