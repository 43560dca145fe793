import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RedisRateLimiter } from '../../../adapters/stores/redis-rate-limiter.js';
import { rateLimiterContract } from '../../support/rate-limiter-contract.js';
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
rateLimiterContract('RedisRateLimiter', async (policy, clock) => new RedisRateLimiter({ redis, policy, keyPrefix: `${prefix}c${++n}:`, clock: clock.fn }));

describe('RedisRateLimiter', () => {
  it('allows exactly the limit under concurrent takes from several connections', async () => {
    const conns = await Promise.all(Array.from({ length: 4 }, () => connectTestRedis()));
    clients.push(...conns);
    const policy = { tenants: { a: { budgets: [], actions: [], rateLimit: { requestsPerMinute: 50, tokensPerMinute: 1_000_000 } } }, modelLimits: {} };
    const now = Date.now();
    const limiters = conns.map((c) => new RedisRateLimiter({ redis: c, policy, keyPrefix: `${prefix}conc:`, clock: () => now }));
    const results = await Promise.all(Array.from({ length: 400 }, (_, i) => limiters[i % 4]!.take({ tenant: 'a', tokens: 100 })));
    expect(results.filter((r) => r.allowed)).toHaveLength(50);
    const refused = results.filter((r) => !r.allowed);
    expect(refused.every((r) => !r.allowed && r.limit === 'tenant.requestsPerMinute' && r.retryAfterMs === 1_200)).toBe(true);
    const ttl = await redis.pttl(`${prefix}conc:{rl}:t:a:rpm`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});
