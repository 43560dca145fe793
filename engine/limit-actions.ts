import type { Tier } from '../policies/schema.js';
import type { TenantSpec } from './budget-plan.js';
import { TollgateError } from './errors.js';

/**
 * What to do when a tenant nears its budget, chosen from the policy's `tenants[t].actions` by the
 * budget fraction the request's reservation reached (`Reservation.usedFraction`). The engine calls
 * {@link chooseLimitAction} right after `reserve` and records {@link formatLimitAction} of the result
 * in the decision record's `actions`.
 *
 * - `warn`: proceed; log and count it.
 * - `downgrade`: route within `toTier` (when the policy names none, the engine picks the next cheaper
 *   tier than the one it would choose).
 * - `throttle`: proceed after waiting `delayMs` (grows linearly from `minDelayMs` at the action's
 *   threshold to `maxDelayMs` at a fully used budget), which slows spend without failing requests.
 * - `refuse`: refund the reservation and throw {@link LimitActionRefusedError}.
 */
export type LimitAction =
  | { action: 'warn'; atFraction: number; usedFraction: number }
  | { action: 'downgrade'; toTier?: Tier; atFraction: number; usedFraction: number }
  | { action: 'throttle'; delayMs: number; atFraction: number; usedFraction: number }
  | { action: 'refuse'; atFraction: number; usedFraction: number };

export interface ThrottleOptions {
  /** Delay at the throttle threshold. Default 250 ms. */
  minDelayMs?: number;
  /** Delay at a fully used budget. Default 5,000 ms. */
  maxDelayMs?: number;
}

const SEVERITY = { warn: 0, downgrade: 1, throttle: 2, refuse: 3 } as const;

/**
 * The action in force at `usedFraction`: among the tenant's actions whose `atFraction ≤ usedFraction`,
 * the one with the highest threshold (ties: the most severe). `undefined` when none applies.
 */
export function chooseLimitAction(spec: TenantSpec | undefined, usedFraction: number, options: ThrottleOptions = {}): LimitAction | undefined {
  if (!spec || !Number.isFinite(usedFraction)) return undefined;
  let best: TenantSpec['actions'][number] | undefined;
  for (const a of spec.actions) {
    if (a.atFraction > usedFraction) continue;
    if (!best || a.atFraction > best.atFraction || (a.atFraction === best.atFraction && SEVERITY[a.action] > SEVERITY[best.action])) best = a;
  }
  if (!best) return undefined;
  const base = { atFraction: best.atFraction, usedFraction };
  switch (best.action) {
    case 'warn':
    case 'refuse':
      return { action: best.action, ...base };
    case 'downgrade':
      return best.toTier === undefined ? { action: 'downgrade', ...base } : { action: 'downgrade', toTier: best.toTier, ...base };
    case 'throttle': {
      const min = options.minDelayMs ?? 250;
      const max = options.maxDelayMs ?? 5_000;
      const span = 1 - best.atFraction;
      const progress = span > 0 ? Math.min(1, (usedFraction - best.atFraction) / span) : 1;
      return { action: 'throttle', delayMs: Math.round(min + (max - min) * progress), ...base };
    }
  }
}

/** The decision-log form of an action: `warn`, `downgrade:distilled`, `throttle:1200ms`, `refuse`. */
export function formatLimitAction(a: LimitAction): string {
  if (a.action === 'downgrade') return a.toTier ? `downgrade:${a.toTier}` : 'downgrade';
  if (a.action === 'throttle') return `throttle:${a.delayMs}ms`;
  return a.action;
}

/** The kind of a logged action string (`throttle:1200ms` → `throttle`), for metrics. */
export function limitActionKind(logged: string): string {
  const i = logged.indexOf(':');
  return i < 0 ? logged : logged.slice(0, i);
}

/** A policy `refuse` action stopped a request before its budget was fully spent. */
export class LimitActionRefusedError extends TollgateError {
  constructor(readonly tenant: string, readonly usedFraction: number, readonly atFraction: number) {
    super('budget_action_refused', `Tenant "${tenant}" has used ${(usedFraction * 100).toFixed(1)}% of its budget; the policy refuses requests from ${(atFraction * 100).toFixed(1)}%`, {
      tenant,
      usedFraction,
      atFraction,
    });
  }
}
