import { describe, expect, it } from 'vitest';
import { MemoryBudgetStore } from '../../adapters/stores/memory-budget-store.js';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import type { BudgetStore } from '../../engine/seams/budget-store.js';
import { StoreUnavailableError } from '../../engine/store-errors.js';
import { simPolicy } from '../support/policies.js';

const tenants = { acme: { budgets: [{ window: 'month' as const, usd: 5 }], actions: [] } };
const ask = (content: string) => ({ tenant: 'acme', messages: [{ role: 'user' as const, content }], maxOutputTokens: 32 });

/** A store whose settle fails the way `failure` says (the reserve works). */
function failingSettle(failure: () => Error): BudgetStore & { inner: MemoryBudgetStore; fail: boolean } {
  const inner = new MemoryBudgetStore(tenants);
  const s = {
    inner,
    fail: true,
    reserve: (r: Parameters<BudgetStore['reserve']>[0]) => inner.reserve(r),
    settle: async (r: Parameters<BudgetStore['settle']>[0], a: Parameters<BudgetStore['settle']>[1]) => {
      if (s.fail) throw failure();
      return inner.settle(r, a);
    },
    refund: (r: Parameters<BudgetStore['refund']>[0]) => inner.refund(r),
    usage: (t: string) => inner.usage(t),
  };
  return s;
}

describe('any settle that throws still ends in an answer and a record (#14 item 4)', () => {
  it('a settle failing with a plain error: answered, logged with budget:settle_failed, ledger after the log', async () => {
    const sink = new MemoryDecisionSink();
    const order: string[] = [];
    const origAppend = sink.append.bind(sink);
    sink.append = async (r) => {
      order.push('log');
      return origAppend(r);
    };
    const tg = createTollgate({ policy: simPolicy({ tenants }), budgetStore: failingSettle(() => new Error('boom')), decisionLog: sink, observers: [() => order.push('observer')] });
    const r = await tg.complete(ask('settle explodes'));
    expect(r.cost.full).toBeGreaterThan(0);
    expect(sink.records).toHaveLength(1);
    expect(sink.records[0]!.actions).toContain('budget:settle_failed');
    expect(order).toEqual(['log', 'observer']);
    expect(tg.ledger.total().requests).toBe(1);
    await tg.close();
  });

  it('a settle failing with store_unavailable is queued and applied, in order, once the store answers', async () => {
    const store = failingSettle(() => new StoreUnavailableError('test-store', 'settle', new Error('down')));
    const tg = createTollgate({ policy: simPolicy({ tenants }), budgetStore: store });
    const a = await tg.complete(ask('first'));
    const b = await tg.complete(ask('second'));
    expect(a.record.actions).toContain('budget:settle_queued');
    expect(b.record.actions).toContain('budget:settle_queued');
    expect(tg.pendingSpend()).toMatchObject({ operations: 2, micros: a.cost.full + b.cost.full });
    store.fail = false;
    expect(await tg.flushPendingSpend()).toMatchObject({ operations: 0 });
    const used = (await store.inner.usage('acme')).find((u) => u.dimension === 'micros')!.used;
    expect(used).toBe(a.cost.full + b.cost.full);
    await tg.close();
  });
});
