import { describe, expect, it } from 'vitest';
import { chooseLimitAction, formatLimitAction, limitActionKind, LimitActionRefusedError } from '../../engine/limit-actions.js';
import { TollgateError } from '../../engine/errors.js';
import type { TenantSpec } from '../../engine/budget-plan.js';

const spec: TenantSpec = {
  budgets: [{ window: 'month', usd: 100 }],
  actions: [
    { atFraction: 0.5, action: 'warn' },
    { atFraction: 0.8, action: 'downgrade', toTier: 'distilled' },
    { atFraction: 0.9, action: 'throttle' },
    { atFraction: 0.99, action: 'refuse' },
  ],
};

describe('chooseLimitAction', () => {
  it('picks the highest threshold reached', () => {
    expect(chooseLimitAction(spec, 0.49)).toBeUndefined();
    expect(chooseLimitAction(spec, 0.5)).toEqual({ action: 'warn', atFraction: 0.5, usedFraction: 0.5 });
    expect(chooseLimitAction(spec, 0.85)).toEqual({ action: 'downgrade', toTier: 'distilled', atFraction: 0.8, usedFraction: 0.85 });
    expect(chooseLimitAction(spec, 0.9)).toMatchObject({ action: 'throttle', delayMs: 250 });
    expect(chooseLimitAction(spec, 0.995)).toMatchObject({ action: 'refuse' });
    expect(chooseLimitAction(undefined, 1)).toBeUndefined();
    expect(chooseLimitAction({ budgets: [], actions: [] }, 1)).toBeUndefined();
  });

  it('throttle delay grows linearly to the maximum at a full budget (typed delayMs)', () => {
    const only: TenantSpec = { budgets: [], actions: [{ atFraction: 0.6, action: 'throttle' }] };
    const mid = chooseLimitAction(only, 0.8, { minDelayMs: 100, maxDelayMs: 1_100 });
    expect(mid).toEqual({ action: 'throttle', delayMs: 600, atFraction: 0.6, usedFraction: 0.8 });
    if (mid?.action === 'throttle') expect(formatLimitAction(mid)).toBe('throttle:600ms');
    expect(chooseLimitAction(only, 1, { minDelayMs: 100, maxDelayMs: 1_100 })).toMatchObject({ delayMs: 1_100 });
  });

  it('breaks ties by severity and leaves an unnamed downgrade tier to the engine', () => {
    const tie: TenantSpec = { budgets: [], actions: [{ atFraction: 0.7, action: 'refuse' }, { atFraction: 0.7, action: 'downgrade' }] };
    expect(chooseLimitAction(tie, 0.7)?.action).toBe('refuse');
    const dg = chooseLimitAction({ budgets: [], actions: [{ atFraction: 0.7, action: 'downgrade' }] }, 0.8)!;
    expect(dg).toEqual({ action: 'downgrade', atFraction: 0.7, usedFraction: 0.8 });
    expect(formatLimitAction(dg)).toBe('downgrade');
  });

  it('formats for the decision log and maps back to a metric kind', () => {
    expect(formatLimitAction(chooseLimitAction(spec, 0.85)!)).toBe('downgrade:distilled');
    expect(limitActionKind('throttle:250ms')).toBe('throttle');
    expect(limitActionKind('warn')).toBe('warn');
    const err = new LimitActionRefusedError('acme', 0.995, 0.99);
    expect(err).toBeInstanceOf(TollgateError);
    expect(err.code).toBe('budget_action_refused');
  });
});
