import { afterAll, beforeAll } from 'vitest';
import type { Redis } from 'ioredis';
import { MemoryIdempotencyStore } from '../../../adapters/stores/memory-idempotency-store.js';
import { RedisIdempotencyStore } from '../../../adapters/stores/redis-idempotency-store.js';
import { idempotencyStoreContract } from '../../../testing/contracts/idempotency-store.js';
import { connectTestRedis, deletePrefix, testPrefix } from '../../support/redis.js';

const prefix = testPrefix();
let redis: Redis;
beforeAll(async () => {
  redis = await connectTestRedis();
});
afterAll(async () => {
  await deletePrefix(redis, prefix);
  await redis.quit();
});

let n = 0;
idempotencyStoreContract('MemoryIdempotencyStore', async () => new MemoryIdempotencyStore());
idempotencyStoreContract('RedisIdempotencyStore', async () => new RedisIdempotencyStore({ redis, keyPrefix: `${prefix}${++n}:` }));
