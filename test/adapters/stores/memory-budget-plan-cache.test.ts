import { describe, expect, it } from 'vitest';
import { MemoryBudgetStore } from '../../../adapters/stores/memory-budget-store.js';
import { BudgetExceededError } from '../../../engine/errors.js';

/**
 * The memory store remembers each tenant's budget plan while its buckets stay the same: these pin that
 * a reservation at any other time (later, across a calendar or rolling boundary, or earlier) is
 * planned for its own buckets, and that tag-scoped budgets still follow the request's tags.
 */
describe('MemoryBudgetStore plan memory', () => {
  const tenants = {
    roll: { budgets: [{ window: 'rolling-hour' as const, usd: 1 }], actions: [] },
    cal: { budgets: [{ window: 'day' as const, usd: 1 }, { window: 'month' as const, tokens: 1_000 }], actions: [] },
    tagged: { budgets: [{ window: 'day' as const, usd: 1, tag: 'big' }], actions: [] },
  };
  const day = Date.UTC(2025, 0, 15);

  it('a rolling window slides: spend leaves it an hour later, bucket by bucket', () => {
    let now = day;
    const s = new MemoryBudgetStore(tenants, { clock: () => now });
    s.settleSync(s.reserveSync({ tenant: 'roll', requestId: 'a', micros: 900_000, tokens: 1 }), { micros: 900_000, tokens: 1 });
    now = day + 30_000; // same minute bucket
    expect(() => s.reserveSync({ tenant: 'roll', requestId: 'b', micros: 200_000, tokens: 1 })).toThrow(BudgetExceededError);
    now = day + 59 * 60_000; // still inside the hour
    expect(() => s.reserveSync({ tenant: 'roll', requestId: 'c', micros: 200_000, tokens: 1 })).toThrow(BudgetExceededError);
    now = day + 60 * 60_000; // the first bucket has slid out
    expect(s.reserveSync({ tenant: 'roll', requestId: 'd', micros: 200_000, tokens: 1 }).usedFraction).toBeCloseTo(0.2);
    now = day + 61 * 60_000; // the next bucket: 'd' still counts
    expect(s.reserveSync({ tenant: 'roll', requestId: 'e', micros: 200_000, tokens: 1 }).usedFraction).toBeCloseTo(0.4);
  });

  it('calendar windows turn at midnight (day) while the month keeps counting', () => {
    let now = day + 3_600_000;
    const s = new MemoryBudgetStore(tenants, { clock: () => now });
    s.settleSync(s.reserveSync({ tenant: 'cal', requestId: 'a', micros: 900_000, tokens: 600 }), { micros: 900_000, tokens: 600 });
    now = day + 86_399_999;
    expect(() => s.reserveSync({ tenant: 'cal', requestId: 'b', micros: 200_000, tokens: 1 })).toThrow(/day micros/);
    now = day + 86_400_000; // the next day: dollars are fresh, month tokens are not
    expect(s.reserveSync({ tenant: 'cal', requestId: 'c', micros: 200_000, tokens: 1 }).usedFraction).toBeCloseTo(0.601);
    expect(() => s.reserveSync({ tenant: 'cal', requestId: 'd', micros: 1, tokens: 500 })).toThrow(/month tokens/);
    now = day + 1; // the first day again
    expect(() => s.reserveSync({ tenant: 'cal', requestId: 'e', micros: 200_000, tokens: 1 })).toThrow(/day micros/);
  });

  it('tag-scoped budgets apply by each request’s tags', () => {
    const s = new MemoryBudgetStore(tenants, { clock: () => day });
    s.settleSync(s.reserveSync({ tenant: 'tagged', requestId: 'a', micros: 900_000, tokens: 1, tags: ['big'] }), { micros: 900_000, tokens: 1 });
    expect(s.reserveSync({ tenant: 'tagged', requestId: 'b', micros: 200_000, tokens: 1 }).usedFraction).toBe(0);
    expect(() => s.reserveSync({ tenant: 'tagged', requestId: 'c', micros: 200_000, tokens: 1, tags: ['big'] })).toThrow(BudgetExceededError);
    expect(s.reserveSync({ tenant: 'tagged', requestId: 'd', micros: 200_000, tokens: 1, tags: ['small'] }).usedFraction).toBe(0);
  });
});
