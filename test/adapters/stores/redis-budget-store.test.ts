import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { Redis as RedisClient } from 'ioredis';
import { RedisBudgetStore } from '../../../adapters/stores/redis-budget-store.js';
import { BudgetExceededError } from '../../../engine/errors.js';
import { StoreUnavailableError } from '../../../engine/store-errors.js';
import { planBudgets } from '../../../engine/budget-plan.js';
import { budgetStoreContract } from '../../support/budget-store-contract.js';
import { connectTestRedis, deletePrefix, testPrefix } from '../../support/redis.js';

const prefix = testPrefix();
const clients: Redis[] = [];
let redis: Redis;

beforeAll(async () => {
  redis = await connectTestRedis();
  clients.push(redis);
});
afterAll(async () => {
  if (redis) await deletePrefix(redis, prefix);
  await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
});

let n = 0;
budgetStoreContract('RedisBudgetStore', async (tenants, clock, holdTimeoutMs = 30 * 86_400_000) =>
  new RedisBudgetStore({ redis, tenants, keyPrefix: `${prefix}c${++n}:`, clock: clock.fn, holdTimeoutMs }),
);

describe('RedisBudgetStore', () => {
  it('admits exactly the budget under concurrent reserves from several connections', async () => {
    const tenants = { acme: { budgets: [{ window: 'day' as const, usd: 1 }], actions: [] } };
    const conns = await Promise.all(Array.from({ length: 5 }, () => connectTestRedis()));
    clients.push(...conns);
    const stores = conns.map((c) => new RedisBudgetStore({ redis: c, tenants, keyPrefix: `${prefix}conc:` }));
    const ops = Array.from({ length: 1_000 }, (_, i) => stores[i % stores.length]!.reserve({ tenant: 'acme', requestId: `r${i}`, micros: 7_000, tokens: 3 }));
    const results = await Promise.allSettled(ops);
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(142); // floor(1_000_000 / 7_000)
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(BudgetExceededError);
    expect((await stores[0]!.usage('acme'))[0]!.used).toBe(142 * 7_000);
  });

  it('keeps counters and reservation records under expiring keys', async () => {
    const now = Date.now();
    const tenants = { acme: { budgets: [{ window: 'rolling-hour' as const, usd: 5 }, { window: 'month' as const, usd: 50 }], actions: [] } };
    const s = new RedisBudgetStore({ redis, tenants, keyPrefix: `${prefix}ttl:`, reservationTtlMs: 60_000, doneTtlMs: 30_000 });
    const r = await s.reserve({ tenant: 'acme', requestId: 'x', micros: 10, tokens: 1 });
    const plan = planBudgets('acme', tenants.acme, [], now);
    for (const scope of plan.scopes) {
      const ttl = await redis.pttl(s.counterKey(scope));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(scope.bucket.expireAt - now + 1_000);
    }
    expect(await redis.pttl(s.reservationKey('acme', 'x'))).toBeGreaterThan(30_000);
    await s.settle(r, { micros: 7, tokens: 1 });
    const ttl = await redis.pttl(s.reservationKey('acme', 'x'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);
    expect(await redis.hget(s.reservationKey('acme', 'x'), 's')).toBe('settled');
  });

  it('a settle long after its period ended leaves no key without expiry', async () => {
    let now = Date.UTC(2030, 0, 1, 12);
    const tenants = { acme: { budgets: [{ window: 'day' as const, usd: 1 }], actions: [] } };
    const s = new RedisBudgetStore({ redis, tenants, keyPrefix: `${prefix}late:`, clock: () => now, holdTimeoutMs: 30 * 86_400_000 });
    const r = await s.reserve({ tenant: 'acme', requestId: 'old', micros: 10, tokens: 1 });
    const key = s.counterKey(planBudgets('acme', tenants.acme, [], now).scopes[0]!);
    await redis.del(key); // the period's counter expired meanwhile
    now += 3 * 86_400_000;
    await s.settle(r, { micros: 7, tokens: 1 });
    expect(await redis.exists(key)).toBe(0);
    expect(await redis.pttl(s.heldKey('acme'))).not.toBe(-1); // gone (empty) or expiring, never permanent
  });

  it('throws StoreUnavailableError when Redis cannot answer', async () => {
    const dead = new RedisClient('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on('error', () => undefined);
    const s = new RedisBudgetStore({ redis: dead, tenants: {} });
    await expect(s.reserve({ tenant: 'a', requestId: 'r', micros: 1, tokens: 1 })).rejects.toBeInstanceOf(StoreUnavailableError);
    dead.disconnect();
  });
});
