import { describe, expect, it } from 'vitest';
import { MemoryBudgetStore } from '../../../adapters/stores/memory-budget-store.js';
import { budgetStoreContract } from '../../support/budget-store-contract.js';

budgetStoreContract('MemoryBudgetStore', async (tenants, clock, holdTimeoutMs = 30 * 86_400_000) => new MemoryBudgetStore(tenants, { clock: clock.fn, holdTimeoutMs }));

describe('MemoryBudgetStore', () => {
  it('admits exactly the budget under many concurrent reserves', async () => {
    const s = new MemoryBudgetStore({ a: { budgets: [{ window: 'day', usd: 1 }], actions: [] } });
    const results = await Promise.allSettled(
      Array.from({ length: 1_000 }, (_, i) => s.reserve({ tenant: 'a', requestId: `r${i}`, micros: 3_000, tokens: 1 })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(333);
    expect((await s.usage('a'))[0]!.used).toBe(999_000);
  });
});
