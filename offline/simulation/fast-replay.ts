import {
  checkAmounts,
  checkRateLimit,
  type Classification,
  classifierInput,
  type CompiledPolicy,
  compilePolicy,
  type Decision,
  type DecisionRecord,
  engineReserveRequest,
  type Encoding,
  limitActionStep,
  type LoadedPolicy,
  LoopDetector,
  loopStep,
  MemoryBudgetStore,
  MemoryRateLimiter,
  modelCallBase,
  planSettlement,
  type PriceCatalog,
  rateLimitRequest,
  type RateLimitRequest,
  type RateLimitResult,
  type RecordContext,
  buildDecisionRecord,
  type RequestFacts,
  requestFacts,
  type Reservation,
  type ReserveRequest,
  reserveRequest,
  routeRequest,
  RulesClassifier,
  type SettledAnswer,
  SimulatedAdapter,
  TollgateError,
  validateRequest,
  type ValidRequest,
} from '../../index.js';
import type { TraceRequest } from '../trace/index.js';
import { traceRowToRequest } from './trace-request.js';

/**
 * Why a policy cannot take the fast replay (then the simulator runs the full engine), or `undefined`
 * when the fast replay is exact for it: rules classifier, and simulated models with no latency and no
 * injected failures (so every request is answered by its chosen model on the first attempt, no
 * retry, timeout, circuit breaker or fallback ever acts).
 */
export function fastReplayBlocker(loaded: LoadedPolicy): string | undefined {
  if (loaded.policy.classifier?.kind === 'learned') return 'the policy uses a learned classifier';
  for (const m of loaded.policy.models) {
    if (m.simulate && m.simulate.latencyMs > 0) return `model ${m.id} has simulate.latencyMs`;
    if (m.simulate && m.simulate.failureRate > 0) return `model ${m.id} has simulate.failureRate`;
  }
  return undefined;
}

/** Everything a decision record is built from (engine/settle-record.ts `RecordInput`). */
type RecordInput = Parameters<typeof buildDecisionRecord>[0];

/**
 * The request context as the fast replay carries it: the parts of the engine's `RequestContext` the
 * step cores read and write, and, once settled, the whole input of the decision record (what
 * `settledRecord` hands to {@link buildDecisionRecord}), so one object serves every row.
 */
interface ReplayContext extends RecordContext, RecordInput {
  facts: RequestFacts;
  classification?: Classification;
  decision?: Decision;
  reservation?: Reservation;
  answer?: SettledAnswer;
  actions: string[];
}

/**
 * A synchronous replay of trace rows through one policy, built from the engine's own request steps:
 * `complete()`'s steps (engine/request-steps.ts) are async shells over synchronous cores
 * (engine/steps/: admission, model-call, settlement), and this class runs the same cores, in the
 * same order as the engine's request runner, against synchronous stores:
 *
 * validate → {@link requestFacts} → {@link loopStep} (policy `loopDetection`) → classify (rules,
 * {@link classifierInput}) → {@link routeRequest} →
 * {@link rateLimitRequest} / {@link checkRateLimit} → {@link reserveRequest} → {@link limitActionStep}
 * (a downgrade refunds and re-reserves; a throttle, here or on a loop, does not wait: the trace clock
 * does not advance while a request waits) → the simulated adapter's answer on {@link modelCallBase}
 * ({@link SimulatedAdapter.usageSync}: `callSync`'s usage and quality, without the text nobody reads)
 * → {@link planSettlement} → {@link buildDecisionRecord} (what `settledRecord` calls, here on the
 * row's context itself).
 *
 * It skips only what cannot change the record when {@link fastReplayBlocker} is undefined: the
 * request runner's stage tracking, zod on rows the trace reader already validated, the cache (none),
 * retries, breaker and fallbacks (the first attempt always answers), promises and timers. The
 * parity test (test/offline/simulation/fast-replay.test.ts) runs both paths on the same trace.
 *
 * Budgets and rate limits are the engine's in-memory stores, driven through their synchronous twins
 * (`reserveSync`, `takeSync`…), so their arithmetic and bookkeeping are the same code. A budget's
 * refusal comes back as data (`reserveOrRefuseSync`: the error's code and message, no Error built
 * or thrown) and is recorded as the engine records the error its store throws.
 */
export class FastReplay {
  readonly policy: CompiledPolicy;
  private now = 0;
  private readonly budgets: SyncBudgets;
  private readonly limiter: SyncRateLimiter;
  private readonly classifier = new RulesClassifier();
  private readonly adapter: SimulatedAdapter;
  private readonly models: LoadedPolicy['policy']['models'];
  private readonly known = new Map<Encoding, number>();
  private readonly loops: LoopDetector | undefined;
  private readonly ctx: ReplayContext;
  private readonly actions: string[] = [];

  /** @param options.doneTtlMs the budget store's memory of settled reservation ids (as the engine path's store). */
  constructor(loaded: LoadedPolicy, catalog: PriceCatalog, options: { seed: number; doneTtlMs?: number }) {
    const blocker = fastReplayBlocker(loaded);
    if (blocker) throw new TollgateError('fast_replay_inexact', `Fast replay is not exact for policy "${loaded.policy.name}": ${blocker}`);
    this.policy = compilePolicy(loaded, catalog);
    this.ctx = { policy: this.policy, facts: undefined!, classification: undefined, decision: undefined, reservation: undefined, answer: undefined, cacheHit: undefined, cacheEnabled: false, settled: undefined!, error: undefined, actions: [], now: 0 };
    const clock = (): number => this.now;
    this.budgets = new SyncBudgets(new MemoryBudgetStore(loaded.policy.tenants, { clock, doneTtlMs: options.doneTtlMs }));
    this.limiter = new SyncRateLimiter(this.policy, new MemoryRateLimiter(loaded.policy, { clock }));
    this.adapter = new SimulatedAdapter(options.seed);
    this.models = loaded.policy.models;
    this.loops = loaded.policy.loopDetection ? new LoopDetector(loaded.policy.loopDetection) : undefined;
  }

  /**
   * Replays one row at trace time `now`. Returns its settled record, or `undefined` when the engine
   * would reject the request before settling one (an invalid request: a `ValidationError`).
   */
  replay(row: TraceRequest, now: number): DecisionRecord | undefined {
    // Refusals other than a budget's are TollgateErrors like the engine's (their code and message go
    // into the record), but nobody reads their stack: skip capturing it (≈ 5 µs per refusal).
    // Synchronous, so nothing else runs while the limit is lowered.
    const stackLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return this.replayRow(row, now);
    } finally {
      Error.stackTraceLimit = stackLimit;
    }
  }

  private replayRow(row: TraceRequest, now: number): DecisionRecord | undefined {
    this.now = now;
    const facts = this.factsOf(row, now);
    if (!facts) return undefined;
    // One context object for every row (nothing keeps it past the row: the record copies what it
    // shows); the actions the steps record go to a scratch list, copied out only when there are some.
    const ctx = this.ctx;
    ctx.facts = facts;
    ctx.classification = ctx.decision = ctx.reservation = ctx.answer = ctx.error = undefined;
    const actions = (ctx.actions = this.actions);
    if (actions.length !== 0) actions.length = 0; // emptied by the last record unless a row threw (a length store is a builtin call)
    try {
      this.answer(ctx, facts, now);
    } catch (err) {
      if (!(err instanceof TollgateError)) throw err;
      ctx.error = err;
    }
    const { settled, release } = planSettlement(ctx.answer, facts, ctx.reservation);
    if (release?.kind === 'settle') this.budgets.settle(release.reservation, release.actual);
    else if (release) this.budgets.refund(release.reservation);
    ctx.actions = actions.length ? actions.splice(0) : NO_ACTIONS; // the record keeps its own list
    // What `settledRecord(policy, ctx, settled, false, now)` does, on the context itself (no cache: no hit).
    ctx.settled = settled;
    ctx.now = now;
    return buildDecisionRecord(ctx);
  }

  /**
   * The steps from the loop check to the model's answer, on `ctx`: they throw the engine's refusals
   * and failures (TollgateErrors), except a budget's refusal, which the store returns as data and
   * which is set as `ctx.error` as the engine's catch would set the error it throws (same code, same
   * message), and the request goes no further.
   */
  private answer(ctx: ReplayContext, facts: RequestFacts, now: number): void {
    const policy = this.policy;
    loopStep(this.loops, ctx, now); // a loop throttle's wait does not move the trace clock either
    // The rules classifier is synchronous (the engine awaits the same call).
    const classification = (ctx.classification = this.classifier.classify(classifierInput(facts), this.models));
    let decision = (ctx.decision = routeRequest(policy, facts, classification));
    if (this.limiter.applies(facts, decision)) checkRateLimit(facts, this.limiter.take(rateLimitRequest(policy, facts, decision)));
    let reserved = this.budgets.reserve(reserveRequest(policy, facts, decision));
    if (refused(reserved)) {
      ctx.error = reserved;
      return;
    }
    ctx.reservation = reserved;
    const step = limitActionStep(policy, facts, classification, decision, reserved, ctx.actions);
    if (step?.kind === 'downgrade') {
      decision = ctx.decision = step.decision;
      this.budgets.refund(reserved);
      reserved = this.budgets.reserve(reserveRequest(policy, facts, decision, step.reservationId));
      if (refused(reserved)) {
        ctx.error = reserved; // the refunded reservation stays the context's, as when the engine's reserve throws
        return;
      }
      ctx.reservation = reserved;
    } // a throttle's wait does not move the trace clock
    const response = this.adapter.usageSync(modelCallBase(policy, facts, undefined, decision.chosen.spec)); // what settlement reads of callSync's answer
    ctx.answer = { model: decision.chosen, response, attempts: 1, fallbacks: [] }; // the chain's first attempt answered
  }

  /**
   * The facts of the request the engine would route for `row` ({@link traceRowToRequest}): validated
   * and counted as the engine does before its first step ({@link requestFacts}), or `undefined` when
   * the engine would reject the request there, before any record (a `ValidationError`, an output cap
   * or prompt over the limits). Rows within the request's length limits (id, tenant ≤ 200 chars,
   * ≤ 32 tags) skip zod: the trace schema already checked every other field, so the schema would
   * return the same request. A known prompt count is handed over in one map reused row after row
   * (nothing keeps it past the row's replay).
   */
  private factsOf(row: TraceRequest, now: number): RequestFacts | undefined {
    const request = traceRowToRequest(row);
    let counted: Map<Encoding, number> | undefined;
    if (row.promptTokens !== undefined) {
      counted = this.known;
      for (const e of this.policy.encodings) counted.set(e, row.promptTokens);
    }
    try {
      const valid = typeof row.id === 'string' && row.id.length <= 200 && row.tenant.length <= 200 && row.tags.length <= 32 ? (request as ValidRequest) : validateRequest(request);
      return requestFacts(this.policy, valid, now, counted);
    } catch (err) {
      if (err instanceof TollgateError) return undefined;
      throw err;
    }
  }
}

/** What the budgets answer a reserve: a reservation, or a budget's refusal (with the error's code and message). */
type Reserved = ReturnType<MemoryBudgetStore['reserveOrRefuseSync']>;

/** Whether the budgets refused (a refusal carries its error's code; a reservation has none). */
const refused = (r: Reserved): r is Exclude<Reserved, Reservation> => 'code' in r;

/** A record without actions: `settledRecord` leaves its `actions` out (never filled: see `replayRow`). */
const NO_ACTIONS: string[] = [];

/**
 * The engine's budgets (engine/engine-budgets.ts) on the memory store's synchronous twins: its own
 * reservation ids, and nothing else of it acts (a memory store is never unavailable, so no spend is
 * queued and no fail-open applies). A tenant without budgets reserves through
 * `reserveUnbudgetedSync`, which keeps no per-request memory (for such a tenant the result is the
 * same whatever the id, and so is the store's behaviour for every other tenant; see its doc); its
 * reservations are then neither settled nor refunded (there is nothing to release): a settle only
 * checks the amounts.
 */
class SyncBudgets {
  private readonly hasBudgets = new Map<string, boolean>();
  private reservations = 0;
  private lastTenant: string | undefined;
  private lastBudgeted = false;
  constructor(private readonly store: MemoryBudgetStore) {}

  /**
   * Reserves under the engine's own reservation id ({@link engineReserveRequest}), as `complete()`
   * does, made unique by a count rather than a UUID (a third of the replay's time; the id is in no record).
   * A budget's refusal is returned, not thrown (the store's `reserveOrRefuseSync`).
   */
  reserve(req: ReserveRequest): Reserved {
    return this.budgeted(req.tenant) ? this.store.reserveOrRefuseSync(engineReserveRequest(req, (++this.reservations).toString(36))) : this.store.reserveUnbudgetedSync(req);
  }

  settle(reservation: Reservation, actual: { micros: number; tokens: number }): void {
    if (this.budgeted(reservation.tenant)) this.store.settleSync(reservation, actual);
    else checkAmounts('settlement', actual.micros, actual.tokens); // all that settleSync would do
  }

  refund(reservation: Reservation): void {
    if (this.budgeted(reservation.tenant)) this.store.refundSync(reservation);
  }

  /** Whether the tenant has any budget (memoised per tenant, and for the last tenant asked: each row asks twice; the policy is fixed). */
  private budgeted(tenant: string): boolean {
    if (tenant === this.lastTenant) return this.lastBudgeted;
    let b = this.hasBudgets.get(tenant);
    if (b === undefined) {
      if (this.hasBudgets.size >= 4_096) this.hasBudgets.clear(); // bounded for traces of many tenants
      this.hasBudgets.set(tenant, (b = this.store.hasBudgets(tenant)));
    }
    this.lastTenant = tenant;
    this.lastBudgeted = b;
    return b;
  }
}

/**
 * The rate limiter's synchronous twin. When no rate limit can apply to (tenant, model) ({@link applies}
 * false), the limiter's take would plan no rule and allow without touching its state (its periodic
 * sweep only drops states that no longer limit anything), so the replay skips it.
 */
class SyncRateLimiter {
  constructor(
    private readonly policy: CompiledPolicy,
    private readonly limiter: MemoryRateLimiter,
  ) {}

  /** Whether a rate limit can apply to the request's tenant and chosen model. */
  applies(facts: RequestFacts, decision: Decision): boolean {
    const p = this.policy.policy;
    return p.tenants[facts.request.tenant]?.rateLimit !== undefined || p.modelLimits[decision.chosen.id] !== undefined;
  }

  take(req: RateLimitRequest): RateLimitResult {
    return this.limiter.takeSync(req);
  }
}
