import { createActor, setup } from 'xstate';
import type { DecisionRecord } from './decision-record.js';
import { TollgateError } from './errors.js';
import { admit, applyLimitAction, classify, type EngineDeps, invokeModel, lookupCache, type RequestContext, reserve, route, settle } from './request-steps.js';

export type RequestEvent =
  | { type: 'CACHE_HIT' }
  | { type: 'ADMITTED' }
  | { type: 'ROUTED' }
  | { type: 'ANSWERED' }
  | { type: 'LOGGED' }
  | { type: 'FAIL' };

/**
 * The request protocol as an xstate v5 machine — one actor per request:
 *
 * ```
 * admitting (cache) ──CACHE_HIT──────────────────────► settling (ledger, log) ──LOGGED──► done
 *     │ADMITTED                                          ▲
 *     ▼                                                  │ANSWERED
 * routing (classify, decide, rate limits, reserve, budget action) ──ROUTED──► invoking (retries, fallbacks)
 * any state ──FAIL──► failing (refund, error record) ──LOGGED──► failed
 * ```
 * The machine owns which step may follow which; the steps themselves are plain functions
 * (request-steps.ts). The runner below performs a step and reports its outcome as an event, so a
 * request's stage is always known (a failure records the stage it happened in). Events are sent,
 * not invoked as child actors, because child actors cost ~80 µs each on the hot path.
 */
export const requestMachine = setup({ types: { events: {} as RequestEvent } }).createMachine({
  id: 'request',
  initial: 'admitting',
  states: {
    admitting: { on: { CACHE_HIT: 'settling', ADMITTED: 'routing', FAIL: 'failing' } },
    routing: { on: { ROUTED: 'invoking', FAIL: 'failing' } },
    invoking: { on: { ANSWERED: 'settling', FAIL: 'failing' } },
    settling: { on: { LOGGED: 'done', FAIL: 'failed' } },
    failing: { on: { LOGGED: 'failed', FAIL: 'failed' } },
    done: { type: 'final' },
    failed: { type: 'final' },
  },
});

export type RequestStage = 'admitting' | 'routing' | 'invoking' | 'settling' | 'failing' | 'done' | 'failed';

export interface RequestOutcome {
  record?: DecisionRecord;
  ctx: RequestContext;
  stage: RequestStage;
}

const asTollgateError = (e: unknown): TollgateError =>
  e instanceof TollgateError ? e : new TollgateError('internal_error', (e as Error)?.message ?? String(e), {}, { cause: e });

/** Runs one request through the machine. Never throws: a failure is in `ctx.error` (and logged). */
export async function runRequest(deps: EngineDeps, ctx: RequestContext): Promise<RequestOutcome> {
  const actor = createActor(requestMachine).start();
  const stage = () => actor.getSnapshot().value as RequestStage;
  try {
    ctx.cacheHit = await lookupCache(deps, ctx);
    if (ctx.cacheHit) actor.send({ type: 'CACHE_HIT' });
    else {
      actor.send({ type: 'ADMITTED' });
      const t0 = performance.now();
      ctx.classification = await classify(deps, ctx);
      ctx.decision = route(deps, ctx);
      ctx.decisionMs = Math.round((performance.now() - t0) * 1000) / 1000;
      await admit(deps, ctx);
      ctx.reservation = await reserve(deps, ctx);
      await applyLimitAction(deps, ctx);
      actor.send({ type: 'ROUTED' });
      ctx.answer = await invokeModel(deps, ctx);
      actor.send({ type: 'ANSWERED' });
    }
    ctx.record = await settle(deps, ctx);
    await deps.sink.append(ctx.record);
    actor.send({ type: 'LOGGED' });
  } catch (err) {
    const failedIn = stage();
    actor.send({ type: 'FAIL' });
    if (failedIn === 'settling' || failedIn === 'failing') {
      ctx.error ??= asTollgateError(err); // the record could not be settled or written
    } else {
      ctx.error = asTollgateError(err);
      ctx.error.details.stage ??= failedIn;
      try {
        ctx.record = await settle(deps, ctx);
        await deps.sink.append(ctx.record);
        actor.send({ type: 'LOGGED' });
      } catch (logErr) {
        actor.send({ type: 'FAIL' });
        ctx.error = asTollgateError(logErr);
      }
    }
  }
  ctx.flight?.(ctx.error ? undefined : ctx.cachedAnswer);
  return { record: ctx.record, ctx, stage: stage() };
}
