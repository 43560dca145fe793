import { describe, expect, it } from 'vitest';
import { MemoryBudgetStore } from '../../../adapters/stores/memory-budget-store.js';

const tenants = {
  capped: { budgets: [{ window: 'month' as const, usd: 1 }], actions: [] },
  tagOnly: { budgets: [{ window: 'day' as const, usd: 1, tag: 'batch' }], actions: [] },
};

describe('MemoryBudgetStore memory stays bounded on a long-running gateway', () => {
  it('keeps nothing for reservations no budget applies to (a tenant without budgets, another tag’s budget)', async () => {
    const store = new MemoryBudgetStore(tenants);
    for (let i = 0; i < 5_000; i++) {
      const r = await store.reserve({ tenant: i % 2 ? 'free' : 'tagOnly', requestId: `r${i}`, micros: 10, tokens: 5 });
      expect(r.usedFraction).toBe(0);
      await store.settle(r, { micros: 9, tokens: 4 });
    }
    expect(store.memoryEntries()).toEqual({ held: 0, remembered: 0 }); // used to be 5,000 ids for 24 h
    // The tagged budget still counts its own requests.
    const tagged = await store.reserve({ tenant: 'tagOnly', requestId: 't1', micros: 400_000, tokens: 1, tags: ['batch'] });
    expect(tagged.usedFraction).toBeCloseTo(0.4);
    expect(store.memoryEntries().held).toBe(1);
  });

  it('remembers at most maxRememberedPerTenant settled ids, and a recent one still settles only once', async () => {
    const store = new MemoryBudgetStore(tenants, { maxRememberedPerTenant: 100 });
    let last;
    for (let i = 0; i < 1_000; i++) {
      last = await store.reserve({ tenant: 'capped', requestId: `r${i}`, micros: 100, tokens: 1 });
      await store.settle(last, { micros: 100, tokens: 1 });
    }
    expect(store.memoryEntries()).toEqual({ held: 0, remembered: 100 });
    const spent = (await store.usage('capped'))[0]!.used;
    expect(spent).toBe(100_000);
    await store.settle(last!, { micros: 100, tokens: 1 }); // settling twice is a no-op
    const again = await store.reserve({ tenant: 'capped', requestId: 'r999', micros: 100, tokens: 1 }); // re-reserve: the earlier one, not charged
    expect(again).toEqual(last);
    expect((await store.usage('capped'))[0]!.used).toBe(spent);
  });
});
