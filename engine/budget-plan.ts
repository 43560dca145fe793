import type { Policy } from '../policies/schema.js';
import { usdToMicros } from './money.js';
import { ValidationError } from './errors.js';
import { bucketFor, type BudgetWindow, type WindowBucket } from './budget-windows.js';

/** A tenant's section of the policy (`policy.tenants[name]`). */
export type TenantSpec = Policy['tenants'][string];

/** Which dimension a budget limits: integer micro-dollars or tokens. */
export type BudgetDimension = 'micros' | 'tokens';

/** One counter a reservation is charged to: a (tenant, tag, window) scope at one bucket. */
export interface BudgetScope {
  tenant: string;
  /** The tag the budget is scoped to; `undefined` for tenant-wide budgets. */
  tag: string | undefined;
  bucket: WindowBucket;
  /** Store-independent identity of the counter: tenant, tag, window and period. */
  id: string;
}

/** One limit that must hold after a reservation: `used + needed ≤ limit` on one scope and dimension. */
export interface BudgetCheck {
  scope: number;
  dimension: BudgetDimension;
  limit: number;
  /** Index of the budget in the tenant's `budgets` array (for error messages). */
  budget: number;
}

/**
 * Everything one reservation must check and charge. Budgets that share tenant, tag and window share a
 * counter (one scope), so spend is charged once per scope however many limits watch it.
 */
export interface BudgetPlan {
  scopes: BudgetScope[];
  checks: BudgetCheck[];
}

/**
 * Builds the plan for a reservation at `nowMs` (no budgets → empty plan → unbounded). Tag-scoped
 * budgets apply when `tags` holds their tag; `tags === undefined` selects every budget (for reports).
 */
export function planBudgets(tenant: string, spec: TenantSpec | undefined, tags: readonly string[] | undefined, nowMs: number): BudgetPlan {
  const scopes: BudgetScope[] = [];
  const checks: BudgetCheck[] = [];
  if (!spec) return { scopes, checks };
  spec.budgets.forEach((b, i) => {
    if (b.tag !== undefined && tags !== undefined && !tags.includes(b.tag)) return;
    if (b.usd === undefined && b.tokens === undefined) return;
    const window = b.window as BudgetWindow;
    const bucket = bucketFor(window, nowMs);
    const id = `${encodeURIComponent(tenant)}|${b.tag === undefined ? '*' : encodeURIComponent(b.tag)}|${window}|${bucket.period}`;
    let scope = scopes.findIndex((s) => s.id === id);
    if (scope < 0) scope = scopes.push({ tenant, tag: b.tag, bucket, id }) - 1;
    if (b.usd !== undefined) checks.push({ scope, dimension: 'micros', limit: usdToMicros(b.usd), budget: i });
    if (b.tokens !== undefined) checks.push({ scope, dimension: 'tokens', limit: b.tokens, budget: i });
  });
  return { scopes, checks };
}

/** Current totals of one scope (live buckets only). */
export interface ScopeUsage {
  micros: number;
  tokens: number;
}

export type PlanVerdict =
  | { ok: true; usedFraction: number }
  | { ok: false; check: BudgetCheck; used: number; needed: number };

/**
 * Decides a reservation against current usage: refused at the first check where `used + needed >
 * limit`; otherwise admitted with `usedFraction` = the tightest check's `(used + needed) / limit`,
 * clamped to 0…1 (a zero limit counts as fully used).
 */
export function evaluatePlan(plan: BudgetPlan, usage: readonly ScopeUsage[], needed: ScopeUsage): PlanVerdict {
  let usedFraction = 0;
  for (const check of plan.checks) {
    const used = usage[check.scope]![check.dimension];
    const need = needed[check.dimension];
    if (used + need > check.limit) return { ok: false, check, used, needed: need };
    const f = check.limit > 0 ? (used + need) / check.limit : 1;
    if (f > usedFraction) usedFraction = f;
  }
  return { ok: true, usedFraction: Math.min(1, usedFraction) };
}

/** One budget's standing, for dashboards and the `budget_remaining` gauge. */
export interface BudgetUsage {
  window: BudgetWindow;
  tag: string | undefined;
  dimension: BudgetDimension;
  limit: number;
  /** Settled spend plus reservations still held, in the live window. */
  used: number;
  remaining: number;
}

/** Lists every check of a plan with its usage. */
export function describeUsage(plan: BudgetPlan, usage: readonly ScopeUsage[]): BudgetUsage[] {
  return plan.checks.map((c) => {
    const scope = plan.scopes[c.scope]!;
    const used = usage[c.scope]![c.dimension];
    return { window: scope.bucket.window, tag: scope.tag, dimension: c.dimension, limit: c.limit, used, remaining: Math.max(0, c.limit - used) };
  });
}

/** Reservation and settle amounts must be non-negative safe integers (micro-dollars, tokens). */
export function checkAmounts(what: string, micros: number, tokens: number): void {
  // Two plain checks rather than a loop over [name, value] pairs: this runs twice per request.
  checkAmount(what, 'micros', micros);
  checkAmount(what, 'tokens', tokens);
}

function checkAmount(what: string, name: 'micros' | 'tokens', v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new ValidationError(what, [{ path: name, message: `must be a non-negative integer, got ${v}` }]);
}
