import type { DecisionRecord } from './decision-record.js';
import { TollgateError } from './errors.js';
import { checkLoop } from './loop-detector.js';
import { capturePrompt } from './prompt-record.js';
import { coalescable, FAILURE_WINDOW_MS } from './single-flight.js';
import { admit, afterLog, applyLimitAction, classify, type EngineDeps, invokeModel, lookupCache, type RequestContext, reserve, route, settle } from './request-steps.js';

/**
 * The request protocol, tracked as a plain stage (not a state machine — see docs/engine.md):
 *
 * ```
 * admitting (cache) ──hit──────────────────────────────► settling (ledger, log) ──► done
 *     │miss                                                 ▲
 *     ▼                                                     │answered
 * routing (classify, decide, rate limits, reserve, budget action) ──► invoking (retries, fallbacks)
 * any stage ──error──► failing (refund, error record) ──► failed
 * ```
 * The order of the steps is the code of {@link runRequest}, which is straight-line: there is no event a
 * request could receive out of order and no branch that an interpreter would decide, so a machine would
 * only move a label (it cost an actor per request and bought nothing). The tracker records the stage a
 * request is in so that a failure says where it happened (`error.details.stage`).
 */
export type RequestStage = 'admitting' | 'routing' | 'invoking' | 'settling' | 'failing' | 'done' | 'failed';

export interface RequestOutcome {
  record?: DecisionRecord;
  ctx: RequestContext;
  stage: RequestStage;
}

const asTollgateError = (e: unknown): TollgateError =>
  e instanceof TollgateError ? e : new TollgateError('internal_error', (e as Error)?.message ?? String(e), {}, { cause: e });

/** Runs one request through its steps. Never throws: a failure is in `ctx.error` (and logged). */
export async function runRequest(deps: EngineDeps, ctx: RequestContext): Promise<RequestOutcome> {
  let stage: RequestStage = 'admitting';
  try {
    await checkLoop(deps, ctx); // a runaway client is stopped before the cache: a loop of hits is still a loop
    ctx.cacheHit = await lookupCache(deps, ctx);
    if (ctx.cacheHit) stage = 'settling';
    else {
      stage = 'routing';
      const t0 = performance.now();
      // A policy with `defer` rules has classified and routed already (engine/deferred-request.ts): not twice.
      ctx.classification ??= await classify(deps, ctx);
      ctx.decision ??= route(deps, ctx);
      ctx.decisionMs = Math.round((performance.now() - t0) * 1000) / 1000;
      await admit(deps, ctx);
      ctx.reservation = await reserve(deps, ctx);
      await applyLimitAction(deps, ctx);
      stage = 'invoking';
      ctx.answer = await invokeModel(deps, ctx);
      stage = 'settling';
    }
    ctx.record = await settle(deps, ctx);
    await deps.sink.append(ctx.record);
    if (ctx.answer && deps.policy.policy.log?.prompts) await capturePrompt(deps.sink, ctx.facts, deps.now()); // opt-in (engine/prompt-record.ts)
    stage = 'done';
    await afterLog(deps, ctx, ctx.record); // documented order: log, then ledger, metrics and cache
  } catch (err) {
    const failedIn = stage;
    stage = failedIn === 'settling' ? 'failed' : 'failing';
    if (failedIn === 'settling') {
      ctx.error ??= asTollgateError(err); // the record could not be settled or written
    } else {
      ctx.error = asTollgateError(err);
      ctx.error.details.stage ??= failedIn;
      try {
        ctx.record = await settle(deps, ctx);
        await deps.sink.append(ctx.record);
        await afterLog(deps, ctx, ctx.record);
      } catch (logErr) {
        ctx.error = asTollgateError(logErr);
      }
    }
  }
  if (stage === 'failing') stage = 'failed';
  const shared = ctx.error && coalescable(ctx.error) && !ctx.error.details.coalescedWith;
  ctx.flight?.(ctx.error ? (shared ? { failed: ctx.error, leader: ctx.facts.id, until: deps.now() + FAILURE_WINDOW_MS } : undefined) : ctx.cachedAnswer);
  return { record: ctx.record, ctx, stage };
}
