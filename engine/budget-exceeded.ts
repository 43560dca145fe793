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
    // assigned one by one rather than Object.assign of a literal: the same keys in the same order
    const details = this.details;
    details.dimension = dimension;
    details.window = window;
    details.tag = tag;
    details.limit = limit;
    this.message = budgetLimitMessage(tenant, needed, remaining, dimension, window, tag, limit);
  }
}

/** The message of a {@link BudgetLimitExceededError} (and of its {@link BudgetLimitRefusal}). */
function budgetLimitMessage(tenant: string, needed: number, remaining: number, dimension: BudgetDimension, window: string, tag: string | undefined, limit: number): string {
  const unit = dimension === 'micros' ? 'µ$' : 'tokens';
  const scope = tag === undefined ? '' : ` (tag "${tag}")`;
  return `Budget exhausted for tenant "${tenant}"${scope}, ${window} ${dimension} limit ${limit} ${unit}: needs ${needed}, ${remaining} remaining`;
}

/**
 * A budget's refusal of a reservation as data: what {@link BudgetLimitExceededError} carries, with its
 * `code` and `message`, without building (or throwing) an Error, for a synchronous caller that only
 * records it (the memory store's `reserveOrRefuseSync`, for the simulator's fast replay).
 * {@link toError} is the error the store's `reserve` throws for it.
 */
export class BudgetLimitRefusal {
  /** {@link BudgetExceededError}'s code. */
  readonly code = 'budget_exceeded';
  constructor(
    readonly tenant: string,
    readonly needed: number,
    readonly remaining: number,
    readonly retryAfterMs: number | undefined,
    readonly dimension: BudgetDimension,
    readonly window: string,
    readonly tag: string | undefined,
    readonly limit: number,
  ) {}

  /** The error's message (built when read). */
  get message(): string {
    return budgetLimitMessage(this.tenant, this.needed, this.remaining, this.dimension, this.window, this.tag, this.limit);
  }

  /** The refusal as the error `reserve` throws. */
  toError(): BudgetLimitExceededError {
    return new BudgetLimitExceededError(this.tenant, this.needed, this.remaining, this.retryAfterMs, this.dimension, this.window, this.tag, this.limit);
  }
}

/** The refusal for a failed {@link PlanVerdict}, as data. `buckets`: the failing scope's live buckets. */
export function budgetLimitRefusal(
  plan: BudgetPlan,
  verdict: Extract<PlanVerdict, { ok: false }>,
  nowMs: number,
  buckets: readonly BucketAmount[],
): BudgetLimitRefusal {
  const { check, used, needed } = verdict;
  const scope = plan.scopes[check.scope]!;
  const retry = budgetRetryAfterMs(scope.bucket, nowMs, buckets, needed, check.limit);
  return new BudgetLimitRefusal(scope.tenant, needed, Math.max(0, check.limit - used), retry, check.dimension, scope.bucket.window, scope.tag, check.limit);
}

/** Builds the typed refusal for a failed {@link PlanVerdict}. `buckets`: the failing scope's live buckets. */
export function budgetRefusal(
  plan: BudgetPlan,
  verdict: Extract<PlanVerdict, { ok: false }>,
  nowMs: number,
  buckets: readonly BucketAmount[],
): BudgetLimitExceededError {
  return budgetLimitRefusal(plan, verdict, nowMs, buckets).toError();
}
