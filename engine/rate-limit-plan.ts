import type { Policy } from '../policies/schema.js';
import type { RateLimitRequest } from './seams/rate-limiter.js';

/**
 * Pure GCRA (generic cell rate algorithm) arithmetic shared by the in-process and Redis rate limiters.
 *
 * Each limit is `limit` units per `periodMs` with a burst of `limit` units: a unit costs the emission
 * interval `T = periodMs / limit`, and the stored state is the theoretical arrival time `tat`. A take
 * of `cost` units at `now` is allowed when `max(tat, now) + cost·T − periodMs ≤ now`, and moves `tat`
 * to `max(tat, now) + cost·T`. A single request larger than the whole limit (more tokens than
 * tokensPerMinute) is checked as if it cost exactly `limit`: it passes only when the limit is fully
 * idle, and its full cost then delays the requests after it (rather than never passing).
 */

/** Which policy sections the limiters read. */
export type RateLimitPolicy = Pick<Policy, 'tenants' | 'modelLimits'>;

export interface RateLimitRule {
  /** Reported in a refusal: `tenant.requestsPerMinute`, `model.gpt-4o.tokensPerMinute`, … */
  name: string;
  /** Store key suffix identifying the limit's state. */
  key: string;
  limit: number;
  periodMs: number;
  cost: number;
}

const MINUTE = 60_000;

/** The limits that apply to one take: the tenant's and (when `model` is given) the model's. */
export function planRateLimits(policy: RateLimitPolicy, req: RateLimitRequest): RateLimitRule[] {
  const rules: RateLimitRule[] = [];
  const add = (scope: string, key: string, spec: { requestsPerMinute?: number; tokensPerMinute?: number } | undefined): void => {
    if (!spec) return;
    if (spec.requestsPerMinute) rules.push({ name: `${scope}.requestsPerMinute`, key: `${key}:rpm`, limit: spec.requestsPerMinute, periodMs: MINUTE, cost: 1 });
    if (spec.tokensPerMinute && req.tokens > 0) {
      rules.push({ name: `${scope}.tokensPerMinute`, key: `${key}:tpm`, limit: spec.tokensPerMinute, periodMs: MINUTE, cost: req.tokens });
    }
  };
  add('tenant', `t:${encodeURIComponent(req.tenant)}`, policy.tenants[req.tenant]?.rateLimit);
  if (req.model !== undefined) add(`model.${req.model}`, `m:${encodeURIComponent(req.model)}`, policy.modelLimits[req.model]);
  return rules;
}

export type GcraVerdict = { allowed: true; tats: number[] } | { allowed: false; rule: number; retryAfterMs: number };

/**
 * Decides a take against every rule at once: allowed only if all allow (then `tats` are the new
 * states, one per rule); otherwise the rule with the longest wait and that wait in whole ms.
 */
export function gcraDecide(rules: readonly RateLimitRule[], tats: readonly (number | undefined)[], now: number): GcraVerdict {
  const next: number[] = [];
  let worst = -1;
  let wait = 0;
  rules.forEach((r, i) => {
    const t = r.periodMs / r.limit;
    const base = Math.max(tats[i] ?? now, now);
    const allowAt = base + Math.min(r.cost, r.limit) * t - r.periodMs;
    if (allowAt > now && allowAt - now > wait) {
      worst = i;
      wait = allowAt - now;
    }
    next.push(base + r.cost * t);
  });
  if (worst >= 0) return { allowed: false, rule: worst, retryAfterMs: Math.ceil(wait) };
  return { allowed: true, tats: next };
}
