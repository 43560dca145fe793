import { DEFER_WITHIN, DEFER_WITHIN_MESSAGE } from '../policies/schema.js';
import type { CostBreakdown } from './cost.js';
import type { EngineReservation } from './engine-budgets.js';
import { TollgateError, ValidationError } from './errors.js';
import { type ChatMessage, contentText, type ValidRequest } from './request.js';
import { admit, afterLog, classify, type EngineDeps, type RequestContext, reserve, route, settle } from './request-steps.js';
import { BatchUnsupportedError, type DeferredQueue, type DeferredSettlement } from './seams/deferred-queue.js';
import { outputCap } from './steps/admission.js';
import type { CompletionResult } from './tollgate.js';

/**
 * Deferrable work on the engine's side (docs/capacity.md, "Deferrable work"): a request with
 * `deferrable: { within }`, or one a rule with `action: defer` matches, is routed, rate-limited and
 * budgeted as usual, then handed to the {@link DeferredQueue} seam (the vendor batch APIs) instead of a
 * model. Its budget is reserved now and settled (or refunded) when its line settles; its decision record
 * is written then, by the queue. A refusal before queuing (no queue, no batchable model, budget, rate
 * limit, bad input) is an error record now, as for any request.
 */

/** A deferred request: retrievable by id (`Tollgate.deferred(id)`), answered by `result()`. */
export interface DeferredHandle {
  /** The request id. */
  readonly id: string;
  readonly tenant: string;
  /** The policy model whose batch API it goes through. */
  readonly model: string;
  /** Where it is now: `pending` (queued or in a vendor batch) or `settled`. */
  status(): 'pending' | 'settled';
  /**
   * Resolves with the answer at the batch price once its line settles (a CompletionResult, `cached: false`);
   * rejects with a TollgateError carrying the line's error code (`batch_expired`, `batch_failed`, a vendor
   * code…) when it failed — its budget is then refunded and its error record is in the log.
   */
  result(): Promise<CompletionResult>;
}

/** How a request is deferred: how long it may wait, and what a `defer` rule does for an unbatchable model. */
export interface Deferral {
  withinMs: number;
  source: 'request' | 'rule';
  /** `refuse` (`batch_unsupported`) or `run` (call the model now, record action `defer:unsupported`). */
  onUnsupported: 'refuse' | 'run';
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30m`, `24h`, `2d` → ms (the request schema and the policy schema admit only these forms). */
export function parseWithin(text: string): number {
  const m = DEFER_WITHIN.exec(text);
  if (!m) throw new ValidationError('request', [{ path: 'deferrable.within', message: DEFER_WITHIN_MESSAGE }]);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** The deferral a request asks for, or the `defer` rule that routed it (`undefined`: run now). */
export function deferralOf(deps: EngineDeps, ctx: RequestContext): Deferral | undefined {
  const asked = ctx.facts.request.deferrable;
  if (asked) return { withinMs: parseWithin(asked.within), source: 'request', onUnsupported: 'refuse' };
  const rule = deps.policy.rules.find((r) => r.name === ctx.decision?.rule);
  if (rule?.spec.action !== 'defer') return undefined;
  return { withinMs: parseWithin(rule.spec.defer?.within ?? '24h'), source: 'rule', onUnsupported: rule.spec.defer?.onUnsupported ?? 'refuse' };
}

/** Plain chat only: the batch line carries text messages and an output cap, nothing else. */
function plainMessages(r: ValidRequest): { role: string; content: string }[] {
  const extra = (['tools', 'toolChoice', 'responseFormat', 'n', 'passthrough', 'reasoningEffort', 'serviceTier'] as const).filter((k) => r[k] !== undefined);
  const parts = r.messages.some((m: ChatMessage) => Array.isArray(m.content) || m.tool_calls || m.role === 'tool');
  if (extra.length || parts) {
    throw new ValidationError('request', [{ path: extra.length ? extra[0]! : 'messages', message: 'deferred requests carry plain text chat messages only (no tools, images, n or response formats)' }]);
  }
  return r.messages.map((m) => ({ role: m.role === 'developer' ? 'system' : m.role, content: contentText(m.content) }));
}

/**
 * Routes `ctx` and, when it is to be deferred, queues it: the handle, or `undefined` when it should run now
 * (nothing deferred it, or a `defer` rule with `onUnsupported: run` found no batchable model). Any failure
 * is logged as an error record (the reservation refunded) and thrown.
 */
export async function deferOrRun(deps: EngineDeps, queue: DeferredQueue | undefined, ctx: RequestContext): Promise<DeferredHandle | undefined> {
  try {
    ctx.classification = await classify(deps, ctx);
    ctx.decision = route(deps, ctx);
    const deferral = deferralOf(deps, ctx);
    if (!deferral) return undefined;
    const known = queue?.status(ctx.facts.id);
    if (known) {
      // The same id again (a client retrying its POST): the queued request's handle, nothing queued or reserved twice.
      if (known.tenant === ctx.facts.request.tenant) return deferredHandle(deps, queue!, known.requestId, known.tenant, known.model);
      throw new TollgateError('idempotency_conflict', `Request id "${ctx.facts.id}" is already deferred for another tenant`, { requestId: ctx.facts.id });
    }
    const chain = [ctx.decision.chosen.id, ...ctx.decision.fallbackChain];
    const why = queue ? chain.map((id) => queue.unsupported(id)) : chain.map(() => 'no deferred queue is configured (createTollgate({ deferred }))');
    const at = why.findIndex((w) => w === undefined);
    if (at < 0) {
      if (deferral.onUnsupported === 'run') {
        ctx.actions.push('defer:unsupported');
        return undefined;
      }
      throw new BatchUnsupportedError(chain[0]!, why[0]!);
    }
    const messages = plainMessages(ctx.facts.request);
    const model = deps.policy.byId.get(chain[at]!)!;
    ctx.decision = { ...ctx.decision, chosen: model, fallbackChain: [] };
    await admit(deps, ctx);
    ctx.reservation = await reserve(deps, ctx);
    await queue!.enqueue([{
      requestId: ctx.facts.id, tenant: ctx.facts.request.tenant, model: model.id, messages, maxOutputTokens: outputCap(deps.policy, ctx.facts),
      withinMs: deferral.withinMs, tags: ctx.facts.tags, rule: ctx.decision.rule, reservation: plainReservation(ctx.reservation as EngineReservation),
    }]);
    return deferredHandle(deps, queue!, ctx.facts.id, ctx.facts.request.tenant, model.id);
  } catch (err) {
    ctx.error = err instanceof TollgateError ? err : new TollgateError('internal_error', (err as Error)?.message ?? String(err), {}, { cause: err });
    ctx.error.details.stage ??= 'deferring';
    const record = await settle(deps, ctx);
    await deps.sink.append(record);
    await afterLog(deps, ctx, record);
    throw ctx.error;
  }
}

/** The reservation as it is stored with the line (JSON): what settling it needs. */
function plainReservation(r: EngineReservation): EngineReservation {
  return { id: r.id, tenant: r.tenant, micros: r.micros, tokens: r.tokens, usedFraction: r.usedFraction, ...(r.open && { open: true }), ...(r.request && { request: r.request }) };
}

/** The handle of a queued request. */
export function deferredHandle(deps: EngineDeps, queue: DeferredQueue, id: string, tenant: string, model: string): DeferredHandle {
  return {
    id,
    tenant,
    model,
    status: () => (queue.status(id)?.state === 'pending' ? 'pending' : 'settled'),
    result: () => queue.settled(id).then((s) => resultOf(deps, s)),
  };
}

/** A settled line as the caller sees it: the answer, or its error thrown. */
export function resultOf(deps: EngineDeps, s: DeferredSettlement): CompletionResult {
  const r = s.record;
  if (r.outcome !== 'ok') throw new TollgateError(r.error?.code ?? 'batch_failed', r.error?.message ?? 'deferred request failed', { requestId: r.requestId, model: r.model });
  return {
    id: r.requestId,
    text: s.text ?? '',
    model: r.model!,
    tier: r.tier ?? deps.policy.byId.get(r.model!)?.tier ?? '',
    usage: { inputTokens: r.tokens.input, outputTokens: r.tokens.output, cachedInputTokens: r.tokens.cached },
    cost: r.cost as CostBreakdown,
    cached: false,
    record: r,
    finishReason: s.finishReason ?? 'stop',
  };
}

/**
 * The engine's subscriber to the queue: a settled line's reservation is settled at its batch cost (or
 * refunded when the line failed or expired), then the ledger and observers see its record.
 */
export function settleDeferred(deps: EngineDeps): (s: DeferredSettlement) => Promise<void> {
  return async (s) => {
    const r = s.reservation as EngineReservation | undefined;
    try {
      if (r && s.record.outcome === 'ok') await deps.budgets.settle(r, { micros: s.record.cost.full, tokens: s.record.tokens.input + s.record.tokens.output });
      else if (r) await deps.budgets.refund(r);
    } catch {
      // EngineBudgets queues what the store could not take; nothing else throws here
    }
    try {
      deps.ledger.record(s.record);
    } catch {
      // in-process bookkeeping; the logged record is the truth
    }
    for (const o of deps.observers) {
      try {
        o(s.record, {});
      } catch {
        // observers must not throw
      }
    }
  };
}
