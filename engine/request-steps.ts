import type { CompiledModel, CompiledPolicy } from './compiled-policy.js';
import type { DecisionRecord } from './decision-record.js';
import { ProviderError, StreamInterruptedError, TollgateError } from './errors.js';
import { callAttempt, type InvokeDeps, invokeWithFallbacks } from './invoke.js';
import type { CostLedger } from './ledger.js';
import { cacheIdentity, type RequestFacts } from './request-facts.js';
import type { Decision } from './router.js';
import type { BudgetStore, Reservation } from './seams/budget-store.js';
import type { Cache, CachedAnswer, CacheHit, CacheQuery } from './seams/cache.js';
import type { Classification, RequestClassifier } from './seams/classifier.js';
import type { DecisionSink } from './seams/decision-sink.js';
import type { ModelAdapter, ModelResponse, ToolCallDelta } from './seams/model-adapter.js';
import type { RateLimiter } from './seams/rate-limiter.js';
import type { LoopDetector } from './loop-detector.js';
import { type FlightResult, followerError, holdFailure, isFlightFailure } from './single-flight.js';
import { checkRateLimit, classifierInput, limitActionStep, outputCap as capOf, rateLimitRequest, reserveRequest, routeRequest } from './steps/admission.js';
import { modelCallBase, modelChain } from './steps/model-call.js';
import { planSettlement, settledRecord } from './steps/settlement.js';
import type { EngineReservation } from './engine-budgets.js';
import { ClientCancelledError, outputCapBound, streamAttempt, streamCancellation } from './stream-drain.js';
import type { SettledUsage } from './settle-record.js';

/** Everything the request steps need; bound once per engine by the container. */
export interface EngineDeps {
  policy: CompiledPolicy;
  classifier: RequestClassifier;
  adapters: ReadonlyMap<string, ModelAdapter>;
  budgets: BudgetStore;
  rateLimiter: RateLimiter;
  cache?: Cache;
  sink: DecisionSink;
  ledger: CostLedger;
  now: () => number;
  /** Single-flight: identical cacheable requests in flight, by tenant + key; followers await the leader's answer. */
  inflight: Map<string, Promise<FlightResult>>;
  /** Called with every settled record (metrics, alerts). Must not throw. */
  observers: RecordObserver[];
  /** Adapters, breaker and retry settings for invokeWithFallbacks, built once per engine. */
  invoker: InvokeDeps;
  /** How the engine waits before a throttled request goes on (real time by default; simulations on trace time skip it). */
  sleep: (ms: number) => Promise<void>;
  /** Runaway-client detection (policy `loopDetection`), when configured. */
  loops?: LoopDetector;
}

/**
 * Sees every settled record, plus timings that are kept out of the log (so a seeded simulation's log is
 * reproducible). Must not throw.
 */
export type RecordObserver = (record: DecisionRecord, timing: { decisionMs?: number; precountedInputTokens?: number }) => void;

/** Per-request state carried through the machine. */
export interface RequestContext {
  facts: RequestFacts;
  stream?: (text: string, toolCalls?: ToolCallDelta[]) => void;
  signal?: AbortSignal;
  cacheQuery?: CacheQuery;
  cacheHit?: CacheHit;
  classification?: Classification;
  decision?: Decision;
  reservation?: Reservation;
  actions: string[];
  answer?: { model: CompiledModel; response: ModelResponse; attempts: number; fallbacks: { model: string; code: string }[] };
  record?: DecisionRecord;
  error?: TollgateError;
  /** Set when this request leads a single flight: resolve it with the answer (or undefined) when done. */
  flight?: (answer: FlightResult) => void;
  /** Time spent in classify + decide, ms. */
  decisionMs?: number;
  /** The answer as the cache stores it, once settled. */
  cachedAnswer?: CachedAnswer;
  /** Usage and cost as settled (set by `settle`, read by `afterLog`). */
  settled?: SettledUsage;
}

/**
 * The steps below are the async shells of the synchronous cores in engine/steps/ (admission,
 * model-call, settlement): each plans with a core and awaits the store or adapter call. The
 * simulator's fast replay runs the same cores on synchronous stores.
 */

/** Rate limits for the tenant and the chosen model, taken together once the model is known. */
export async function admit(deps: EngineDeps, ctx: RequestContext): Promise<void> {
  checkRateLimit(ctx.facts, await deps.rateLimiter.take(rateLimitRequest(deps.policy, ctx.facts, ctx.decision!)));
}

/**
 * Exact, then semantic lookup; a miss makes this request the leader of a single flight so that
 * concurrent identical misses (same tenant, same exact key) wait for its answer instead of calling
 * the model too (stampede protection). If the leader fails because of the models (all failed, provider
 * error), its followers — and identical requests for {@link FAILURE_WINDOW_MS} after — fail the same way
 * without calling anything (engine/single-flight.ts); after any other failure they go on as misses.
 */
export async function lookupCache(deps: EngineDeps, ctx: RequestContext): Promise<CacheHit | undefined> {
  if (!deps.cache) return undefined; // no cache: no hashing on the hot path
  const identity = cacheIdentity(ctx.facts.request);
  const tenant = ctx.facts.request.tenant;
  ctx.cacheQuery = { tenant, key: identity.key, scope: identity.scope, text: ctx.facts.text };
  const flightKey = `${tenant}\u0000${identity.key}`;
  const leader = deps.inflight.get(flightKey);
  if (leader) {
    const answer = await leader;
    if (isFlightFailure(answer)) {
      if (deps.now() < answer.until) throw followerError(answer);
      if (deps.inflight.get(flightKey) === leader) deps.inflight.delete(flightKey); // window over (engine clock)
    } else if (answer) return { ...answer, match: 'exact' };
  }
  if (!deps.inflight.has(flightKey)) {
    // Claim the flight before the first await, so concurrent identical requests find it.
    let resolve!: (a: FlightResult) => void;
    const flight = new Promise<FlightResult>((r) => (resolve = r));
    deps.inflight.set(flightKey, flight);
    ctx.flight = (a) => {
      if (isFlightFailure(a)) holdFailure(deps.inflight, flightKey, flight);
      else deps.inflight.delete(flightKey);
      resolve(a);
    };
  }
  let hit: CacheHit | undefined;
  try {
    hit = await deps.cache.lookup(ctx.cacheQuery);
  } catch {
    hit = undefined; // a failing cache is a miss
  }
  if (hit) ctx.cachedAnswer = { text: hit.text, model: hit.model, usage: hit.usage, fullMicros: hit.fullMicros };
  return hit;
}

export async function classify(deps: EngineDeps, ctx: RequestContext): Promise<Classification> {
  return deps.classifier.classify(classifierInput(ctx.facts), deps.policy.policy.models);
}

export function route(deps: EngineDeps, ctx: RequestContext, excluded?: Map<string, string>): Decision {
  return routeRequest(deps.policy, ctx.facts, ctx.classification!, excluded);
}

/** The output cap sent to the model (and so the reservation's output size). */
export function outputCap(deps: EngineDeps, ctx: RequestContext): number {
  return capOf(deps.policy, ctx.facts);
}

/** Reserves the most the request can cost: prompt + output cap on the priciest model of its chain. */
export async function reserve(deps: EngineDeps, ctx: RequestContext, reservationId = ctx.facts.id): Promise<Reservation> {
  return deps.budgets.reserve(reserveRequest(deps.policy, ctx.facts, ctx.decision!, reservationId));
}

/**
 * Applies the tenant's near-limit action (policy `tenants[t].actions`) chosen by the reservation's
 * budget fraction: warn (record only), throttle (wait), downgrade (re-route within a cheaper tier and
 * re-reserve), refuse (throw; the reservation is refunded by the failure path).
 */
export async function applyLimitAction(deps: EngineDeps, ctx: RequestContext): Promise<void> {
  const step = limitActionStep(deps.policy, ctx.facts, ctx.classification!, ctx.decision!, ctx.reservation!, ctx.actions);
  if (!step) return;
  if (step.kind === 'throttle') {
    await deps.sleep(step.delayMs);
    return;
  }
  ctx.decision = step.decision;
  await deps.budgets.refund(ctx.reservation!);
  ctx.reservation = await reserve(deps, ctx, step.reservationId);
}


export async function invokeModel(deps: EngineDeps, ctx: RequestContext): Promise<NonNullable<RequestContext['answer']>> {
  const d = ctx.decision!;
  const chain = modelChain(deps.policy, d);
  const stream = ctx.stream;
  if (!stream) {
    const r = await invokeWithFallbacks(chain, modelCallBase(deps.policy, ctx.facts, ctx.signal), deps.invoker, callAttempt);
    return { model: r.model, response: r.value, attempts: r.attempts, fallbacks: r.fallbacks };
  }
  // A caller that cancels mid-stream does not cancel the vendor: the stream is drained to its usage (stream-drain.ts).
  const cancel = streamCancellation(ctx.signal);
  try {
    const r = await invokeWithFallbacks(chain, modelCallBase(deps.policy, ctx.facts, cancel.signal), deps.invoker, streamAttempt(stream, cancel));
    if (cancel.cancelled) ctx.error = new ClientCancelledError(r.model.id, 'vendor_usage');
    return { model: r.model, response: r.value, attempts: r.attempts, fallbacks: r.fallbacks };
  } catch (err) {
    const model = err instanceof StreamInterruptedError ? deps.policy.byId.get(err.model) : undefined;
    if (!cancel.cancelled || !model) throw err;
    ctx.error = new ClientCancelledError(model.id, 'output_cap_bound');
    return { model, response: outputCapBound(capOf(deps.policy, ctx.facts), ctx.facts.promptTokens.get(model.encoding)), attempts: 1, fallbacks: [] };
  } finally {
    cancel.dispose();
  }
}

/**
 * Turns the answer (or cache hit, or error) into the settled record; settles or refunds the reservation.
 * The engine's budget store (engine-budgets.ts) never throws here: spend the store could not take is
 * queued and the record says `budget:settle_queued` (or `budget:refund_queued`, `budget:settle_failed`),
 * so a called model always ends in a record. Ledger, metrics and cache follow the log ({@link afterLog}).
 */
export async function settle(deps: EngineDeps, ctx: RequestContext): Promise<DecisionRecord> {
  const a = ctx.answer;
  const { settled, release } = planSettlement(a, ctx.facts, ctx.reservation);
  if (release) {
    const r = release.reservation as EngineReservation;
    if (release.kind === 'settle') await deps.budgets.settle(r, release.actual);
    else await deps.budgets.refund(r);
    if (r.open) ctx.actions.push('store_unavailable:fail-open');
    if (r.released === 'queued' || r.released === 'failed') ctx.actions.push(`budget:${release.kind}_${r.released}`);
  }
  ctx.settled = settled;
  return settledRecord(deps.policy, ctx, settled, !!deps.cache, deps.now());
}

/** After the record is logged: the in-process ledger, the observers (metrics, alerts) and the cache store. */
export async function afterLog(deps: EngineDeps, ctx: RequestContext, record: DecisionRecord): Promise<void> {
  const a = ctx.answer;
  const { usage, cost } = ctx.settled!;
  try {
    deps.ledger.record(record);
  } catch {
    // the ledger is in-process bookkeeping; the logged record is the truth
  }
  const timing = { decisionMs: ctx.decisionMs, precountedInputTokens: a ? ctx.facts.promptTokens.get(a.model.encoding) : undefined };
  for (const o of deps.observers) {
    try {
      o(record, timing);
    } catch {
      // observers must not throw; one that does cannot undo the logged record
    }
  }
  if (a && !ctx.error && deps.cache && ctx.cacheQuery && !a.response.toolCalls && !a.response.choices) { // the cache keeps text answers only
    ctx.cachedAnswer = { text: a.response.text, model: a.model.id, usage, fullMicros: cost.full };
    await deps.cache.store(ctx.cacheQuery, ctx.cachedAnswer).catch(() => undefined);
  }
}

export { isRefusal } from './settle-record.js';
