/**
 * The engine's errors. The base class {@link TollgateError}, {@link PolicyError} and the field-issue
 * helpers live in policies/errors.ts (policies/ depends on nothing; the engine depends on policies) and
 * are re-exported here so callers keep one import.
 */
import { TollgateError, type FieldIssue } from '../policies/errors.js';

export { TollgateError, PolicyError, toFieldIssues, formatPath, type FieldIssue } from '../policies/errors.js';

/** A request (or other public input) failed validation before any model was called. */
export class ValidationError extends TollgateError {
  readonly issues: FieldIssue[];
  constructor(what: string, issues: FieldIssue[]) {
    const list = issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
    super('invalid_request', `Invalid ${what}: ${list}`, { issues });
    this.issues = issues;
  }
}

/** The prompt does not fit the chosen model's context window (and the policy does not reroute). */
export class ContextWindowError extends TollgateError {
  constructor(readonly model: string, readonly promptTokens: number, readonly contextWindow: number) {
    super('context_window_exceeded', `Prompt of ${promptTokens} tokens exceeds ${model}'s context window of ${contextWindow}`, {
      model,
      promptTokens,
      contextWindow,
    });
  }
}

/** A model id is not declared in the policy. */
export class UnknownModelError extends TollgateError {
  constructor(readonly model: string) {
    super('unknown_model', `Unknown model "${model}"`, { model });
  }
}

/** No price is known for a model (not in the catalog and not overridden in the policy). */
export class MissingPriceError extends TollgateError {
  constructor(readonly model: string, reason: string) {
    super('missing_price', `No price for model "${model}": ${reason}`, { model });
  }
}

/** No candidate model satisfies the request's constraints (quality floor, max cost, context window). */
export class NoEligibleModelError extends TollgateError {
  constructor(readonly rule: string, readonly reasons: Record<string, string>) {
    super('no_eligible_model', `No model satisfies rule "${rule}": ${Object.entries(reasons).map(([m, r]) => `${m} (${r})`).join(', ')}`, {
      rule,
      reasons,
    });
  }
}

/** The tenant's budget cannot cover the request's reservation. */
export class BudgetExceededError extends TollgateError {
  constructor(readonly tenant: string, readonly needed: number, readonly remaining: number, readonly retryAfterMs?: number) {
    super('budget_exceeded', `Budget exhausted for tenant "${tenant}": needs ${needed}, ${remaining} remaining`, {
      tenant,
      needed,
      remaining,
      retryAfterMs,
    });
  }
}

/** A rate limit refused the request; retry after `retryAfterMs`. */
export class RateLimitedError extends TollgateError {
  constructor(readonly tenant: string, readonly limit: string, readonly retryAfterMs: number) {
    super('rate_limited', `Rate limit "${limit}" reached for tenant "${tenant}"; retry in ${retryAfterMs} ms`, {
      tenant,
      limit,
      retryAfterMs,
    });
  }
}

export type ProviderFailureKind = 'rate_limited' | 'server_error' | 'timeout' | 'bad_response' | 'client_error' | 'network' | 'circuit_open';

/**
 * A model call failed. `retryable` says whether the same model may be tried again;
 * `retryAfterMs` carries the vendor's Retry-After when it sent one.
 */
export class ProviderError extends TollgateError {
  constructor(
    readonly kind: ProviderFailureKind,
    readonly model: string,
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(`provider_${kind}`, message, { model, kind, status, retryAfterMs }, options);
  }
  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'server_error' || this.kind === 'timeout' || this.kind === 'network';
  }
}

/**
 * Every model in the fallback chain failed; `attempts` says how each model ended, `tries` how many calls
 * were made in all (retries included; the decision record's `attempts`).
 */
export class AllModelsFailedError extends TollgateError {
  constructor(readonly attempts: { model: string; code: string; message: string }[], readonly tries = attempts.length) {
    super('all_models_failed', `All models failed: ${attempts.map((a) => `${a.model}: ${a.code}`).join(', ')}`, { attempts });
  }
}

/**
 * A streamed answer failed after text had already reached the caller. It is not retried and no
 * fallback is tried (text cannot be un-sent); `cause` is the provider's error.
 */
export class StreamInterruptedError extends TollgateError {
  constructor(readonly model: string, cause: unknown) {
    const code = cause instanceof TollgateError ? cause.code : 'unknown';
    super('stream_interrupted', `${model}: stream failed after output was sent (${code}): ${(cause as Error)?.message ?? String(cause)}`, { model, cause: code }, { cause });
  }
}

/** Converts zod issues to {@link FieldIssue}s with dotted paths (array indices in brackets). */
