import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../engine/seams/rate-limiter.js';
import type { RateLimitPolicy } from '../../engine/rate-limit-plan.js';
import { ManualClock } from './budget-store.js';
import { itSpeaksV1 } from './specification.js';

type Make = (policy: RateLimitPolicy, clock: ManualClock) => Promise<RateLimiter>;

/**
 * The behaviour every RateLimiter must show (engine/seams/rate-limiter.ts); run it against each
 * implementation from a vitest file. `make` gets the limits and a {@link ManualClock} to read time from.
 */
export function rateLimiterContract(name: string, make: Make): void {
  describe(`${name}: RateLimiter contract`, () => {
    const t0 = Date.UTC(2030, 0, 1);
    itSpeaksV1(() => make({ tenants: {}, modelLimits: {} }, new ManualClock(t0)));

    it('allows a full minute of requests as a burst, then says when the next fits', async () => {
      const clock = new ManualClock(t0);
      const rl = await make({ tenants: { a: { budgets: [], actions: [], rateLimit: { requestsPerMinute: 3 } } }, modelLimits: {} }, clock);
      for (let i = 0; i < 3; i++) expect(await rl.take({ tenant: 'a', tokens: 10 })).toEqual({ allowed: true });
      expect(await rl.take({ tenant: 'a', tokens: 10 })).toEqual({ allowed: false, limit: 'tenant.requestsPerMinute', retryAfterMs: 20_000 });
      clock.advance(19_999);
      expect((await rl.take({ tenant: 'a', tokens: 10 })).allowed).toBe(false);
      clock.advance(1);
      expect(await rl.take({ tenant: 'a', tokens: 10 })).toEqual({ allowed: true });
      expect(await rl.take({ tenant: 'other', tokens: 10 })).toEqual({ allowed: true });
    });

    it('limits tokens per minute with the exact wait', async () => {
      const clock = new ManualClock(t0);
      const rl = await make({ tenants: { a: { budgets: [], actions: [], rateLimit: { tokensPerMinute: 1_000 } } }, modelLimits: {} }, clock);
      expect((await rl.take({ tenant: 'a', tokens: 600 })).allowed).toBe(true);
      expect(await rl.take({ tenant: 'a', tokens: 600 })).toEqual({ allowed: false, limit: 'tenant.tokensPerMinute', retryAfterMs: 12_000 });
      clock.advance(12_000);
      expect((await rl.take({ tenant: 'a', tokens: 600 })).allowed).toBe(true);
    });

    it('limits per model across tenants, and a refusal consumes nothing', async () => {
      const clock = new ManualClock(t0);
      const policy: RateLimitPolicy = {
        tenants: { a: { budgets: [], actions: [], rateLimit: { requestsPerMinute: 4 } } },
        modelLimits: { big: { requestsPerMinute: 1 } },
      };
      const rl = await make(policy, clock);
      expect((await rl.take({ tenant: 'a', model: 'big', tokens: 1 })).allowed).toBe(true);
      expect(await rl.take({ tenant: 'b', model: 'big', tokens: 1 })).toEqual({ allowed: false, limit: 'model.big.requestsPerMinute', retryAfterMs: 60_000 });
      expect(await rl.take({ tenant: 'a', model: 'big', tokens: 1 })).toMatchObject({ allowed: false, limit: 'model.big.requestsPerMinute' });
      for (let i = 0; i < 3; i++) expect((await rl.take({ tenant: 'a', model: 'small', tokens: 1 })).allowed).toBe(true);
      expect(await rl.take({ tenant: 'a', tokens: 1 })).toMatchObject({ allowed: false, limit: 'tenant.requestsPerMinute' });
    });

    it('lets an oversize request through only when idle, then makes later ones wait for its debt', async () => {
      const clock = new ManualClock(t0);
      const rl = await make({ tenants: { a: { budgets: [], actions: [], rateLimit: { tokensPerMinute: 1_000 } } }, modelLimits: {} }, clock);
      expect((await rl.take({ tenant: 'a', tokens: 1_500 })).allowed).toBe(true);
      expect(await rl.take({ tenant: 'a', tokens: 100 })).toEqual({ allowed: false, limit: 'tenant.tokensPerMinute', retryAfterMs: 36_000 });
    });

    it('allows everything when no limit applies', async () => {
      const rl = await make({ tenants: {}, modelLimits: {} }, new ManualClock(t0));
      for (let i = 0; i < 100; i++) expect((await rl.take({ tenant: 'x', model: 'y', tokens: 1e6 })).allowed).toBe(true);
    });
  });
}
