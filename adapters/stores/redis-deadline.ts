/**
 * Per-operation deadline of the Redis stores, whatever client options the caller chose: an ioredis
 * client with its defaults queues commands while disconnected and retries them 20 times, which made an
 * unreachable Redis hang `complete()`. With a deadline the operation rejects (the store turns that into
 * a typed `store_unavailable`) after `ms`. The command itself may still run later if it was queued:
 * settle and refund are idempotent, and a late reserve is a hold that expires with `holdTimeoutMs`.
 */
export const DEFAULT_REDIS_OPERATION_TIMEOUT_MS = 2_000;

export class RedisDeadlineError extends Error {
  constructor(ms: number) {
    super(`no reply from Redis within ${ms} ms`);
    this.name = 'RedisDeadlineError';
  }
}

/** `p`, or a rejection with {@link RedisDeadlineError} after `ms` (0 or less: no deadline). */
export function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  if (!(ms > 0)) return p;
  let timer: ReturnType<typeof setTimeout>;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisDeadlineError(ms)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
