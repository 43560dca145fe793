import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** Where the Redis tests connect; a real redis-server must answer there (the tests fail, never skip, without one). */
export const TEST_REDIS_URL = process.env.TOLLGATE_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh key prefix per test file, so concurrent runs never touch each other's keys. */
export function testPrefix(): string {
  return `tollgate-test:${randomBytes(6).toString('hex')}:`;
}

/** Connects (fail-fast) or throws an error that says plainly that Redis is required and unreachable. */
export async function connectTestRedis(): Promise<Redis> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new Error(
      `Redis is required for this test and is not reachable at ${TEST_REDIS_URL} (${(err as Error).message}). ` +
        'Start redis-server on 127.0.0.1:6379 or set TOLLGATE_REDIS_URL.',
    );
  }
  return redis;
}

/** Deletes every key under `prefix`. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}
