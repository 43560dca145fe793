import { describe, expect, it } from 'vitest';
import type { Policy } from '../../policies/schema.js';
import type { BudgetStore } from '../../engine/seams/budget-store.js';
import type { BudgetUsage } from '../../engine/budget-plan.js';
import { BudgetExceededError, ValidationError } from '../../engine/errors.js';
import { BudgetLimitExceededError } from '../../engine/budget-exceeded.js';
import { itSpeaksV1 } from './specification.js';

export interface ContractStore extends BudgetStore {
  usage(tenant: string): Promise<BudgetUsage[]>;
}

/** A clock tests move by hand. */
export class ManualClock {
  constructor(public now: number) {}
  readonly fn = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

/** Builds a store; `holdTimeoutMs` defaults to 30 days in the factories so held reservations stay held. */
type Make = (tenants: Policy['tenants'], clock: ManualClock, holdTimeoutMs?: number) => Promise<ContractStore>;

const tenant = (budgets: Policy['tenants'][string]['budgets']): Policy['tenants'][string] => ({ budgets, actions: [] });
let seq = 0;
const rid = () => `req-${++seq}`;

async function refusal(p: Promise<unknown>): Promise<BudgetLimitExceededError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BudgetExceededError);
  expect(err).toBeInstanceOf(BudgetLimitExceededError);
  expect((err as BudgetExceededError).code).toBe('budget_exceeded');
  return err as BudgetLimitExceededError;
}

/**
 * The behaviour every BudgetStore must show (engine/seams/budget-store.ts); run it against each
 * implementation from a vitest file: `budgetStoreContract('MyStore', async (tenants, clock) => new MyStore(...))`.
 * `make` gets the policy's tenants and a {@link ManualClock} the store must read time from.
 */
export function budgetStoreContract(name: string, make: Make): void {
  describe(`${name}: BudgetStore contract`, () => {
    itSpeaksV1(() => make({}, new ManualClock(Date.UTC(2030, 0, 1))));

    it('admits exactly up to the money budget, then refuses with the typed error and the remaining amount', async () => {
      const clock = new ManualClock(Date.UTC(2030, 0, 15, 12));
      const s = await make({ acme: tenant([{ window: 'month', usd: 1 }]) }, clock);
      const a = await s.reserve({ tenant: 'acme', requestId: rid(), micros: 400_000, tokens: 10 });
      expect(a.usedFraction).toBeCloseTo(0.4, 10);
      const b = await s.reserve({ tenant: 'acme', requestId: rid(), micros: 600_000, tokens: 10 });
      expect(b.usedFraction).toBe(1);
      const err = await refusal(s.reserve({ tenant: 'acme', requestId: rid(), micros: 1, tokens: 1 }));
      expect(err).toMatchObject({ needed: 1, remaining: 0, dimension: 'micros', window: 'month', limit: 1_000_000 });
      expect(err.retryAfterMs).toBe(Date.UTC(2030, 1, 1) - clock.now);
      await s.settle(a, { micros: 250_000, tokens: 8 });
      const c = await s.reserve({ tenant: 'acme', requestId: rid(), micros: 150_000, tokens: 1 });
      expect(c.usedFraction).toBe(1);
      expect((await s.usage('acme'))[0]).toMatchObject({ used: 1_000_000, remaining: 0 });
      await refusal(s.reserve({ tenant: 'acme', requestId: rid(), micros: 1, tokens: 0 }));
    });

    it('enforces token budgets and never-fitting requests have no retry time', async () => {
      const s = await make({ t: tenant([{ window: 'day', tokens: 1_000 }]) }, new ManualClock(Date.UTC(2030, 0, 1)));
      await s.reserve({ tenant: 't', requestId: rid(), micros: 5, tokens: 600 });
      const err = await refusal(s.reserve({ tenant: 't', requestId: rid(), micros: 5, tokens: 500 }));
      expect(err).toMatchObject({ dimension: 'tokens', needed: 500, remaining: 400 });
      const never = await refusal(s.reserve({ tenant: 't', requestId: rid(), micros: 5, tokens: 1_001 }));
      expect(never.retryAfterMs).toBeUndefined();
    });

    it('settle and refund are idempotent; re-reserving an id does not charge twice', async () => {
      const s = await make({ acme: tenant([{ window: 'month', usd: 1 }]) }, new ManualClock(Date.UTC(2030, 0, 1)));
      const id = rid();
      const r = await s.reserve({ tenant: 'acme', requestId: id, micros: 300_000, tokens: 100 });
      const again = await s.reserve({ tenant: 'acme', requestId: id, micros: 300_000, tokens: 100 });
      expect(again).toMatchObject({ id, micros: 300_000, tokens: 100 });
      expect((await s.usage('acme'))[0]!.used).toBe(300_000);
      await s.settle(r, { micros: 120_000, tokens: 90 });
      await s.settle(r, { micros: 999_999, tokens: 90 });
      await s.refund(r);
      expect((await s.usage('acme'))[0]!.used).toBe(120_000);
      const f = await s.reserve({ tenant: 'acme', requestId: rid(), micros: 200_000, tokens: 1 });
      await s.refund(f);
      await s.refund(f);
      await s.settle(f, { micros: 200_000, tokens: 1 });
      expect((await s.usage('acme'))[0]!.used).toBe(120_000);
      await s.settle({ id: 'never-reserved', tenant: 'acme', micros: 1, tokens: 1, usedFraction: 0 }, { micros: 5, tokens: 5 });
      expect((await s.usage('acme'))[0]!.used).toBe(120_000);
    });

    it('settling above the reservation overspends by exactly actual − reserved, then refuses', async () => {
      const s = await make({ acme: tenant([{ window: 'day', usd: 1 }]) }, new ManualClock(Date.UTC(2030, 0, 1)));
      const r = await s.reserve({ tenant: 'acme', requestId: rid(), micros: 900_000, tokens: 1 });
      await s.settle(r, { micros: 1_050_000, tokens: 1 });
      expect((await s.usage('acme'))[0]).toMatchObject({ used: 1_050_000, remaining: 0 });
      await refusal(s.reserve({ tenant: 'acme', requestId: rid(), micros: 0, tokens: 0 }).then(() => s.reserve({ tenant: 'acme', requestId: rid(), micros: 1, tokens: 0 })));
    });

    it('per-tag budgets apply only to tagged requests, tenant-wide budgets to all', async () => {
      const s = await make({ acme: tenant([{ window: 'month', usd: 10 }, { window: 'month', usd: 1, tag: 'batch' }]) }, new ManualClock(Date.UTC(2030, 0, 1)));
      await s.reserve({ tenant: 'acme', requestId: rid(), micros: 1_000_000, tokens: 1, tags: ['batch'] });
      const err = await refusal(s.reserve({ tenant: 'acme', requestId: rid(), micros: 1, tokens: 1, tags: ['batch', 'x'] }));
      expect(err.tag).toBe('batch');
      const ok = await s.reserve({ tenant: 'acme', requestId: rid(), micros: 5_000_000, tokens: 1 });
      expect(ok.usedFraction).toBeCloseTo(0.6, 10);
      const u = await s.usage('acme');
      expect(u.map((x) => [x.tag, x.used])).toEqual([[undefined, 6_000_000], ['batch', 1_000_000]]);
    });

    it('a money and a token budget on the same window share one counter', async () => {
      const s = await make({ acme: tenant([{ window: 'day', usd: 1 }, { window: 'day', tokens: 100 }]) }, new ManualClock(Date.UTC(2030, 0, 1)));
      const r = await s.reserve({ tenant: 'acme', requestId: rid(), micros: 100_000, tokens: 80 });
      expect(r.usedFraction).toBeCloseTo(0.8, 10);
      expect((await s.usage('acme')).map((u) => u.used)).toEqual([100_000, 80]);
    });

    it('a tenant without budgets is unbounded (usedFraction 0)', async () => {
      const s = await make({}, new ManualClock(Date.UTC(2030, 0, 1)));
      const r = await s.reserve({ tenant: 'nobody', requestId: rid(), micros: 10 ** 12, tokens: 10 ** 9 });
      expect(r.usedFraction).toBe(0);
      await s.settle(r, { micros: 1, tokens: 1 });
    });

    it('rejects negative or fractional amounts with a ValidationError', async () => {
      const s = await make({}, new ManualClock(Date.UTC(2030, 0, 1)));
      await expect(s.reserve({ tenant: 'a', requestId: rid(), micros: -1, tokens: 0 })).rejects.toBeInstanceOf(ValidationError);
      await expect(s.reserve({ tenant: 'a', requestId: rid(), micros: 1.5, tokens: 0 })).rejects.toBeInstanceOf(ValidationError);
    });

    it('calendar windows roll over at UTC midnight and month start', async () => {
      const clock = new ManualClock(Date.UTC(2030, 0, 31, 23, 59, 0));
      const s = await make({ d: tenant([{ window: 'day', usd: 1 }]), m: tenant([{ window: 'month', usd: 1 }]) }, clock);
      for (const t of ['d', 'm']) await s.reserve({ tenant: t, requestId: rid(), micros: 1_000_000, tokens: 1 });
      const err = await refusal(s.reserve({ tenant: 'd', requestId: rid(), micros: 1, tokens: 1 }));
      expect(err.retryAfterMs).toBe(60_000);
      clock.advance(60_000); // 2030-02-01T00:00Z: a new day and a new month
      await s.reserve({ tenant: 'd', requestId: rid(), micros: 1_000_000, tokens: 1 });
      await s.reserve({ tenant: 'm', requestId: rid(), micros: 1_000_000, tokens: 1 });
      clock.advance(86_400_000);
      await s.reserve({ tenant: 'd', requestId: rid(), micros: 1, tokens: 1 });
      await refusal(s.reserve({ tenant: 'm', requestId: rid(), micros: 1, tokens: 1 }));
    });

    it('releases a hold never settled after holdTimeoutMs; a late settle still counts in full', async () => {
      const clock = new ManualClock(Date.UTC(2030, 0, 1, 12));
      const s = await make({ acme: tenant([{ window: 'day', usd: 1 }]) }, clock, 60_000);
      const lost = await s.reserve({ tenant: 'acme', requestId: rid(), micros: 800_000, tokens: 1 });
      const crashed = await s.reserve({ tenant: 'acme', requestId: rid(), micros: 100_000, tokens: 1 });
      await refusal(s.reserve({ tenant: 'acme', requestId: rid(), micros: 300_000, tokens: 1 }));
      clock.advance(60_000);
      const b = await s.reserve({ tenant: 'acme', requestId: rid(), micros: 300_000, tokens: 1 });
      expect(b.usedFraction).toBeCloseTo(0.3, 10);
      await s.settle(lost, { micros: 500_000, tokens: 1 });
      await s.settle(lost, { micros: 500_000, tokens: 1 });
      await s.refund(crashed);
      expect((await s.usage('acme'))[0]!.used).toBe(800_000);
      await s.settle(b, { micros: 200_000, tokens: 1 });
      expect((await s.usage('acme'))[0]!.used).toBe(700_000);
    });

    it('rolling windows slide bucket by bucket and report when spend falls out', async () => {
      const clock = new ManualClock(Date.UTC(2030, 0, 1, 10, 0, 0));
      const s = await make({ r: tenant([{ window: 'rolling-hour', usd: 1 }]) }, clock);
      await s.reserve({ tenant: 'r', requestId: rid(), micros: 600_000, tokens: 1 }); // bucket 10:00
      clock.advance(20 * 60_000);
      await s.reserve({ tenant: 'r', requestId: rid(), micros: 400_000, tokens: 1 }); // bucket 10:20
      clock.advance(20 * 60_000); // 10:40
      const err = await refusal(s.reserve({ tenant: 'r', requestId: rid(), micros: 500_000, tokens: 1 }));
      expect(err.retryAfterMs).toBe(20 * 60_000); // the 10:00 bucket leaves the window at 11:00
      clock.advance(20 * 60_000 - 1); // 10:59:59.999 — still inside
      await refusal(s.reserve({ tenant: 'r', requestId: rid(), micros: 500_000, tokens: 1 }));
      clock.advance(1); // 11:00
      const ok = await s.reserve({ tenant: 'r', requestId: rid(), micros: 600_000, tokens: 1 });
      expect(ok.usedFraction).toBe(1);
      clock.advance(3 * 3_600_000);
      expect((await s.usage('r'))[0]!.used).toBe(0);
    });
  });
}
