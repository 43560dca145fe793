import type { Redis } from 'ioredis';
import type { RateLimiter, RateLimitRequest, RateLimitResult } from '../../engine/seams/rate-limiter.js';
import { planRateLimits, type RateLimitPolicy } from '../../engine/rate-limit-plan.js';
import { StoreUnavailableError } from '../../engine/store-errors.js';
import { GCRA_TAKE_LUA } from './lua/rate-limit-script.js';
import { DEFAULT_REDIS_OPERATION_TIMEOUT_MS, withDeadline } from './redis-deadline.js';

export interface RedisRateLimiterOptions {
  /** The ioredis client (owned by the caller). */
  redis: Redis;
  /** The policy's `tenants` and `modelLimits` sections. */
  policy: RateLimitPolicy;
  /** Key prefix. Default `tollgate:`. State keys are `<prefix>{rl}:t:<tenant>:rpm` and the like. */
  keyPrefix?: string;
  /** Epoch-ms clock (inject in tests); processes sharing limits should have synced clocks. */
  clock?: () => number;
  /** Deadline of each `take` (then `store_unavailable`), whatever the client's options. Default 2 s; 0: none. */
  operationTimeoutMs?: number;
}

interface GcraCommand {
  tollgateGcraTakeV1(numKeys: number, ...args: (string | number)[]): Promise<[1] | [0, number, string]>;
}

/**
 * Redis-backed {@link RateLimiter}: the same GCRA as `MemoryRateLimiter`, one Lua script per take,
 * so limits hold across processes. State keys expire once idle. All keys share the `{rl}` hash tag
 * (one cluster slot). Redis failures throw {@link StoreUnavailableError}.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly specificationVersion = 'v1' as const;
  private readonly redis: Redis & GcraCommand;
  private readonly policy: RateLimitPolicy;
  private readonly prefix: string;
  private readonly clock: () => number;
  private readonly opMs: number;

  constructor(options: RedisRateLimiterOptions) {
    this.policy = options.policy;
    this.opMs = options.operationTimeoutMs ?? DEFAULT_REDIS_OPERATION_TIMEOUT_MS;
    this.prefix = options.keyPrefix ?? 'tollgate:';
    this.clock = options.clock ?? Date.now;
    const redis = options.redis as Redis & Partial<GcraCommand>;
    if (!redis.tollgateGcraTakeV1) redis.defineCommand('tollgateGcraTakeV1', { lua: GCRA_TAKE_LUA });
    this.redis = redis as Redis & GcraCommand;
  }

  async take(req: RateLimitRequest): Promise<RateLimitResult> {
    const rules = planRateLimits(this.policy, req);
    if (rules.length === 0) return { allowed: true };
    const now = this.clock();
    const keys = rules.map((r) => `${this.prefix}{rl}:${r.key}`);
    const args: (string | number)[] = [now];
    for (const r of rules) args.push(r.periodMs / r.limit, r.periodMs, r.cost, Math.min(r.cost, r.limit));
    let reply: [1] | [0, number, string];
    try {
      reply = await withDeadline(this.redis.tollgateGcraTakeV1(keys.length, ...keys, ...args), this.opMs);
    } catch (err) {
      throw new StoreUnavailableError('redis-rate-limiter', 'take', err);
    }
    if (reply[0] === 1) return { allowed: true };
    return { allowed: false, limit: rules[reply[1] - 1]!.name, retryAfterMs: Math.ceil(Number(reply[2])) };
  }
}
