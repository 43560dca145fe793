import type { Redis, RedisOptions } from 'ioredis';

/**
 * Fail-fast defaults for the ioredis client Tollgate's Redis stores use. ioredis's own defaults queue
 * commands while disconnected and retry each one 20 times, so an unreachable Redis made `complete()`
 * hang; with these a command fails within about `commandTimeout` and the store throws a typed
 * `store_unavailable` (docs/budgets.md, "When Redis is unreachable").
 */
export const REDIS_FAIL_FAST: Readonly<RedisOptions> = {
  /** Give up opening a connection after 2 s. */
  connectTimeout: 2_000,
  /** A command that has no reply after 1 s fails (its effect, for settle/refund, is retried: both are idempotent). */
  commandTimeout: 1_000,
  /** One retry of a command on a dropped connection, then fail. */
  maxRetriesPerRequest: 1,
  /** While disconnected, fail commands at once instead of queueing them. */
  enableOfflineQueue: false,
  /** Keep reconnecting in the background (backoff 50 ms … 2 s) so the stores recover when Redis returns. */
  retryStrategy: (times: number) => Math.min(2_000, 50 * 2 ** Math.min(times, 6)),
};

/**
 * Creates an ioredis client for Tollgate's stores with {@link REDIS_FAIL_FAST} (overridable). ioredis
 * is loaded on first use, so importing `tollgate/redis` does not load it. The caller owns the client
 * (`quit()` it on shutdown).
 */
export async function createRedisClient(url: string, options: RedisOptions = {}): Promise<Redis> {
  const { Redis: RedisClient } = await import('ioredis');
  const client = new RedisClient(url, { ...REDIS_FAIL_FAST, ...options });
  client.on('error', () => undefined); // connection errors surface as store_unavailable on commands
  // Wait for the first connection (at most connectTimeout); a Redis that is down at start is not fatal here.
  const limit = options.connectTimeout ?? REDIS_FAIL_FAST.connectTimeout!;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, limit);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return client;
}
