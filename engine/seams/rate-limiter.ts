export interface RateLimitRequest {
  tenant: string;
  model?: string;
  tokens: number;
}

export type RateLimitResult = { allowed: true } | { allowed: false; limit: string; retryAfterMs: number };

/**
 * RateLimiter — requests and tokens per minute, per tenant and per model.
 *
 * Contract: `take` is called once per request before the call (with the model once it is chosen). It
 * consumes capacity only when it allows; when it refuses it returns which limit and how long until the
 * request would fit. It never throws for a refusal (the engine turns it into {@link RateLimitedError}).
 * Implementations shared across processes must be atomic across processes.
 */
export interface RateLimiter {
  take(req: RateLimitRequest): Promise<RateLimitResult>;
}
