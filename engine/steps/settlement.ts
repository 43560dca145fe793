import type { CompiledPolicy } from '../compiled-policy.js';
import type { DecisionRecord } from '../decision-record.js';
import type { RequestFacts } from '../request-facts.js';
import type { Reservation } from '../seams/budget-store.js';
import { buildDecisionRecord, type RecordInput, type SettledAnswer, type SettledUsage, settledUsage } from '../settle-record.js';

/**
 * The synchronous cores of the settle step: what the answer cost, what that asks of the budget store,
 * and the decision record. `settle()` (engine/request-steps.ts) awaits the store call in between;
 * the simulator's fast replay makes it on a synchronous store. Both build the record here.
 */

/** The budget store call settlement plans: settle the reservation at the actual amounts, or refund it. */
export type BudgetRelease = { kind: 'settle'; reservation: Reservation; actual: { micros: number; tokens: number } } | { kind: 'refund'; reservation: Reservation };

export interface Settlement {
  settled: SettledUsage;
  /** `undefined` when the request reserved nothing. */
  release?: BudgetRelease;
}

/**
 * Usage and cost of the answer ({@link settledUsage}), and the budget call: an answered request
 * settles at its full cost and its input + output tokens; one without an answer is refunded.
 */
export function planSettlement(answer: SettledAnswer | undefined, facts: RequestFacts, reservation: Reservation | undefined): Settlement {
  const settled = settledUsage(answer, facts.promptTokens);
  if (!reservation) return { settled };
  if (!answer) return { settled, release: { kind: 'refund', reservation } };
  const { usage, cost } = settled;
  return { settled, release: { kind: 'settle', reservation, actual: { micros: cost.full, tokens: usage.inputTokens + usage.outputTokens } } };
}

/** The parts of the request context a record is built from. */
export type RecordContext = Pick<RecordInput, 'classification' | 'decision' | 'answer' | 'cacheHit' | 'error' | 'actions'> & { facts: RequestFacts };

/** The settled decision record of a request (its decision-log line), at engine time `now`. */
export function settledRecord(policy: CompiledPolicy, ctx: RecordContext, settled: SettledUsage, cacheEnabled: boolean, now: number): DecisionRecord {
  return buildDecisionRecord({
    policy,
    facts: ctx.facts,
    classification: ctx.classification,
    decision: ctx.decision,
    answer: ctx.answer,
    cacheHit: ctx.cacheHit,
    cacheEnabled,
    settled,
    error: ctx.error,
    actions: ctx.actions,
    now,
  });
}
