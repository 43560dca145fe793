import type { SpecificationVersion } from './specification.js';

export interface RateLimitRequest {
  tenant: string;
  /** The chosen model (its `modelLimits` apply); absent when only tenant limits are checked. */
  model?: string;
  /** Prompt tokens + output cap: what the request may consume of a tokens-per-minute limit. */
  tokens: number;
}

export type RateLimitResult = { allowed: true } | { allowed: false; limit: string; retryAfterMs: number };

/**
 * Error codes a RateLimiter may throw. A refusal is never thrown: it is `{ allowed: false }`.
 * - `store_unavailable` — {@link StoreUnavailableError}: a shared limiter could not answer.
 */
export type RateLimiterErrorCode = 'store_unavailable';

/**
 * RateLimiter — requests and tokens per minute, per tenant and per model.
 *
 * Implementations shared across processes (Redis) must be atomic across processes: two processes taking
 * the last unit at once must not both be allowed. Contract suite: `rateLimiterContract`.
 */
export interface RateLimiter {
  /** The seam version this implementation was written against. */
  readonly specificationVersion?: SpecificationVersion;
  /**
   * Called once per request after routing (the model is known) and before the budget reservation. Takes
   * one request and `tokens` from every limit that applies — all or nothing: it consumes capacity only
   * when it allows. A refusal returns which limit (e.g. `tenant:acme:rpm`) and how long until the request
   * would fit; the engine turns it into `RateLimitedError` (`rate_limited`). Throws only `store_unavailable`.
   */
  take(req: RateLimitRequest): Promise<RateLimitResult>;
}
