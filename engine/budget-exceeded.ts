import { BudgetExceededError } from './errors.js';
import { budgetRetryAfterMs, type BucketAmount } from './budget-windows.js';
import type { BudgetDimension, BudgetPlan, PlanVerdict } from './budget-plan.js';

/**
 * A specific budget refused a reservation. Same stable code as {@link BudgetExceededError}
 * (`budget_exceeded`) and an instance of it; adds which budget: its window, tag and dimension
 * (`needed` / `remaining` are micro-dollars when `dimension` is `micros`, tokens otherwise).
 * `retryAfterMs` is when the reservation would first fit if nothing else were spent, or
 * `undefined` when it can never fit in that budget.
 */
export class BudgetLimitExceededError extends BudgetExceededError {
  constructor(
    tenant: string,
    needed: number,
    remaining: number,
    retryAfterMs: number | undefined,
    readonly dimension: BudgetDimension,
    readonly window: string,
    readonly tag: string | undefined,
    readonly limit: number,
  ) {
    super(tenant, needed, remaining, retryAfterMs);
    Object.assign(this.details, { dimension, window, tag, limit });
    const unit = dimension === 'micros' ? 'µ$' : 'tokens';
    const scope = tag === undefined ? '' : ` (tag "${tag}")`;
    this.message = `Budget exhausted for tenant "${tenant}"${scope}, ${window} ${dimension} limit ${limit} ${unit}: needs ${needed}, ${remaining} remaining`;
  }
}

/** Builds the typed refusal for a failed {@link PlanVerdict}. `buckets`: the failing scope's live buckets. */
export function budgetRefusal(
  plan: BudgetPlan,
  verdict: Extract<PlanVerdict, { ok: false }>,
  nowMs: number,
  buckets: readonly BucketAmount[],
): BudgetLimitExceededError {
  const { check, used, needed } = verdict;
  const scope = plan.scopes[check.scope]!;
  const retry = budgetRetryAfterMs(scope.bucket, nowMs, buckets, needed, check.limit);
  return new BudgetLimitExceededError(
    scope.tenant,
    needed,
    Math.max(0, check.limit - used),
    retry,
    check.dimension,
    scope.bucket.window,
    scope.tag,
    check.limit,
  );
}
