import type { RateLimiter, RateLimitRequest, RateLimitResult } from '../../engine/seams/rate-limiter.js';
import { gcraDecide, planRateLimits, type RateLimitPolicy } from '../../engine/rate-limit-plan.js';

export interface MemoryRateLimiterOptions {
  /** Epoch-ms clock; inject one in tests. Default `Date.now`. */
  clock?: () => number;
}

/**
 * In-process {@link RateLimiter} (GCRA; see `engine/rate-limit-plan.ts`): requests and tokens per
 * minute per tenant (`policy.tenants[t].rateLimit`) and per model (`policy.modelLimits[m]`). All limits
 * of one take are checked together and consumed only if all allow. Exact within one process; not
 * shared across processes (use `RedisRateLimiter`).
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly specificationVersion = 'v1' as const;
  private readonly clock: () => number;
  private readonly tats = new Map<string, number>();
  private takes = 0;

  constructor(
    private readonly policy: RateLimitPolicy,
    options: MemoryRateLimiterOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
  }

  async take(req: RateLimitRequest): Promise<RateLimitResult> {
    return this.takeSync(req);
  }

  /** {@link take} without the promise, for synchronous batch loops (the simulator's fast replay). */
  takeSync(req: RateLimitRequest): RateLimitResult {
    const now = this.clock();
    if (++this.takes % 4096 === 0) for (const [k, tat] of this.tats) if (tat <= now) this.tats.delete(k);
    const rules = planRateLimits(this.policy, req);
    if (rules.length === 0) return { allowed: true };
    const verdict = gcraDecide(rules, rules.map((r) => this.tats.get(r.key)), now);
    if (!verdict.allowed) return { allowed: false, limit: rules[verdict.rule]!.name, retryAfterMs: verdict.retryAfterMs };
    rules.forEach((r, i) => this.tats.set(r.key, verdict.tats[i]!));
    return { allowed: true };
  }
}
