import { describe, expect, it } from 'vitest';
import { MemoryBudgetStore } from '../../../adapters/stores/memory-budget-store.js';
import { BudgetLimitExceededError, BudgetLimitRefusal } from '../../../engine/budget-exceeded.js';
import { Prng } from '../../../offline/trace/index.js';
import type { Policy } from '../../../policies/schema.js';

const TENANTS = {
  month: { budgets: [{ window: 'month', usd: 0.05 }], actions: [] },
  rolling: { budgets: [{ window: 'rolling-hour', usd: 0.01 }, { window: 'day', tokens: 20_000 }], actions: [] },
  tagged: { budgets: [{ window: 'day', usd: 0.005, tag: 'batch' }], actions: [] },
} as unknown as Policy['tenants'];

/**
 * The same seeded run on two stores, one through reserveSync (refusals thrown), one through
 * reserveOrRefuseSync (refusals returned): the same answers, refusal for refusal, and the same state.
 */
function drive(mode: 'throw' | 'return', seed: number, steps: number): unknown[] {
  const prng = new Prng(seed);
  let now = Date.UTC(2024, 5, 3);
  const store = new MemoryBudgetStore(TENANTS, { clock: () => now, doneTtlMs: 60_000 });
  const tenants = Object.keys(TENANTS);
  const out: unknown[] = [];
  for (let i = 0; i < steps; i++) {
    now += Math.floor(prng.next() * 20_000);
    const tenant = tenants[Math.floor(prng.next() * tenants.length)]!;
    const req = { tenant, requestId: `r${prng.next() < 0.1 ? Math.floor(prng.next() * 30) : i}`, micros: Math.floor(prng.next() * 3_000), tokens: Math.floor(prng.next() * 900), tags: prng.next() < 0.5 ? ['batch'] : [] };
    let answer;
    if (mode === 'throw') {
      try {
        answer = store.reserveSync(req);
      } catch (e) {
        expect(e).toBeInstanceOf(BudgetLimitExceededError);
        answer = e as BudgetLimitExceededError;
      }
    } else {
      const r = store.reserveOrRefuseSync(req);
      if (r instanceof BudgetLimitRefusal) {
        const e = r.toError();
        expect({ code: r.code, message: r.message }).toEqual({ code: e.code, message: e.message });
        answer = e;
      } else answer = r;
    }
    if (answer instanceof BudgetLimitExceededError) {
      out.push({ code: answer.code, message: answer.message, details: answer.details, dimension: answer.dimension, window: answer.window, tag: answer.tag, limit: answer.limit, retryAfterMs: answer.retryAfterMs });
      continue;
    }
    out.push(answer);
    if (prng.next() < 0.8) store.settleSync(answer, { micros: Math.floor(prng.next() * 4_000), tokens: Math.floor(prng.next() * 900) });
    else store.refundSync(answer);
  }
  out.push(store.memoryEntries());
  return out;
}

describe('MemoryBudgetStore.reserveOrRefuseSync', () => {
  it('answers as reserveSync does, with each refusal as data whose error is the one reserveSync throws', () => {
    for (const seed of [1, 2, 3]) {
      const thrown = drive('throw', seed, 3_000);
      expect(thrown.filter((x) => (x as { code?: string }).code === 'budget_exceeded').length).toBeGreaterThan(100);
      expect(drive('return', seed, 3_000)).toEqual(thrown);
    }
  });

  it("builds the error's message and details once, in the same order as before", () => {
    const e = new BudgetLimitExceededError('t', 10, 2, 5, 'micros', 'day', 'batch', 12);
    expect(e.message).toBe('Budget exhausted for tenant "t" (tag "batch"), day micros limit 12 µ$: needs 10, 2 remaining');
    expect(Object.keys(e.details)).toEqual(['tenant', 'needed', 'remaining', 'retryAfterMs', 'dimension', 'window', 'tag', 'limit']);
    const r = new BudgetLimitRefusal('t', 10, 2, 5, 'tokens', 'month', undefined, 12);
    expect(r.message).toBe('Budget exhausted for tenant "t", month tokens limit 12 tokens: needs 10, 2 remaining');
    expect(r.toError().message).toBe(r.message);
  });
});
