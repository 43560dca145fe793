/**
 * `tollgate/redis`: budget store and rate limiter shared across processes through Redis. Bring your own
 * ioredis client (`npm install ioredis`); this entry point never imports ioredis at runtime.
 */
export { RedisBudgetStore, type RedisBudgetStoreOptions } from '../stores/redis-budget-store.js';
export { RedisRateLimiter, type RedisRateLimiterOptions } from '../stores/redis-rate-limiter.js';
export { RedisCache, type RedisCacheOptions } from '../stores/redis-cache.js';
export { RedisIdempotencyStore, type RedisIdempotencyStoreOptions } from '../stores/redis-idempotency-store.js';
export { createRedisClient, REDIS_FAIL_FAST } from '../stores/redis-client.js';
