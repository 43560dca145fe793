import { randomUUID } from 'node:crypto';
import { RulesClassifier } from '../../index.js';
import { drawOutputTokens, drawPrefix, drawQuality, drawUniforms } from '../../index.js';
import { MemoryBudgetStore } from '../../index.js';
import { MemoryRateLimiter } from '../../index.js';
import type { LoadedPolicy } from '../../index.js';
import { checkAmounts } from '../../index.js';
import { type CompiledPolicy, compilePolicy } from '../../index.js';
import type { DecisionRecord } from '../../index.js';
import { RateLimitedError, TollgateError } from '../../index.js';
import { chooseLimitAction, formatLimitAction, LimitActionRefusedError } from '../../index.js';
import { validateRequest, type ValidRequest } from '../../index.js';
import { messageText } from '../../index.js';
import { downgradeExclusions, reservationSize } from '../../index.js';
import { type Decision, decide } from '../../index.js';
import type { Reservation } from '../../index.js';
import type { Classification } from '../../index.js';
import type { PriceCatalog } from '../../index.js';
import { buildDecisionRecord, type SettledAnswer, settledUsage } from '../../index.js';
import { countChatTokens, countPromptByEncoding, type Encoding } from '../../index.js';
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

/**
 * A synchronous replay of trace rows through one policy that settles exactly the decision record the
 * engine's `complete()` would (same steps, same order, same pure functions): validate → classify
 * (rules) → `decide()` → rate limits → reserve → near-limit action → the simulated model's answer →
 * settle → {@link buildDecisionRecord}. It skips only what cannot change the record when
 * {@link fastReplayBlocker} is undefined: the xstate actor, zod on rows the trace reader already
 * validated, cache keys (no cache), promises and timers, and the throttle wait (the trace clock does
 * not advance while a request waits, so the engine's record is the same with or without it).
 *
 * Budgets and rate limits are the engine's in-memory stores, driven through their synchronous twins
 * (`reserveSync`, `takeSync`), so their arithmetic and bookkeeping are the same code.
 */
export class FastReplay {
  readonly policy: CompiledPolicy;
  private now = 0;
  private readonly budgets: MemoryBudgetStore;
  private readonly limiter: MemoryRateLimiter;
  private readonly classifier = new RulesClassifier();
  private readonly models: LoadedPolicy['policy']['models'];
  private readonly prefixes = new Map<string, number>();
  private readonly hasBudgets = new Map<string, boolean>();
  private readonly u = [0, 0, 0, 0];
  private readonly known = new Map<Encoding, number>();
  private readonly defaultCap: number;

  /** @param options.doneTtlMs the budget store's memory of settled reservation ids (as the engine path's store). */
  constructor(loaded: LoadedPolicy, catalog: PriceCatalog, options: { seed: number; doneTtlMs?: number }) {
    const blocker = fastReplayBlocker(loaded);
    if (blocker) throw new TollgateError('fast_replay_inexact', `Fast replay is not exact for policy "${loaded.policy.name}": ${blocker}`);
    this.policy = compilePolicy(loaded, catalog);
    const clock = (): number => this.now;
    this.budgets = new MemoryBudgetStore(loaded.policy.tenants, { clock, doneTtlMs: options.doneTtlMs });
    this.limiter = new MemoryRateLimiter(loaded.policy, { clock });
    this.models = loaded.policy.models;
    for (const m of this.policy.models) this.prefixes.set(m.id, drawPrefix(options.seed, m.id));
    this.defaultCap = loaded.policy.defaults.maxOutputTokens;
  }

  /**
   * Replays one row at trace time `now`. Returns its settled record, or `undefined` when the engine
   * would reject the request before settling one (an invalid request: a `ValidationError`).
   */
  replay(row: TraceRequest, now: number): DecisionRecord | undefined {
    // Refusals are TollgateErrors like the engine's (their code and message go into the record), but
    // nobody reads their stack: skip capturing it (≈ 5 µs per refusal, most of a replay's time once
    // budgets run out). Synchronous, so nothing else runs while the limit is lowered.
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
    if (!cheaplyValid(row)) {
      try {
        validateRequest(traceRowToRequest(row));
      } catch (err) {
        if (err instanceof TollgateError) return undefined;
        throw err;
      }
    }
    const policy = this.policy;
    const tenant = row.tenant;
    const tags = row.tags;
    const cap = row.maxOutputTokens ?? this.defaultCap;
    let promptTokens: ReadonlyMap<Encoding, number>;
    if (row.promptTokens !== undefined) {
      for (const e of policy.encodings) this.known.set(e, row.promptTokens);
      promptTokens = this.known;
    } else promptTokens = countPromptByEncoding(row.messages!, policy.encodings);
    let maxPrompt = 0;
    for (const v of promptTokens.values()) if (v > maxPrompt) maxPrompt = v;
    const text = row.messages ? messageText({ messages: row.messages }) : '';
    const id = row.id ?? randomUUID(); // as the engine does for a request without an id
    const facts = { id, tags, startedAt: now, request: row };

    // The rules classifier reads only the request's task hint and output cap (classifying afresh per row
    // is cheaper than a memo here, and keeps every classification short-lived: a memo's entries outlived
    // young-generation GC and made peak RSS grow with the trace length).
    const classification: Classification = this.classifier.classify({ request: { tenant, messages: NO_MESSAGES, task: row.task, maxOutputTokens: row.maxOutputTokens } as unknown as ValidRequest, text, promptTokens: maxPrompt }, this.models);
    let decision: Decision | undefined;
    let reservation: Reservation | undefined;
    let answer: SettledAnswer | undefined;
    let error: TollgateError | undefined;
    let actions: string[] = NO_ACTIONS; // the record reads `actions.length`; allocate only when one applies
    try {
      decision = decide(policy, { tenant, tags, promptTokens }, classification);
      if (this.limited(tenant, decision.chosen.id)) {
        const r = this.limiter.takeSync({ tenant, model: decision.chosen.id, tokens: decision.promptTokens + cap });
        if (!r.allowed) throw new RateLimitedError(tenant, r.limit, r.retryAfterMs);
      }
      reservation = this.reserve(decision, row, promptTokens, cap, id);
      const action = chooseLimitAction(policy.policy.tenants[tenant], reservation.usedFraction);
      if (action) {
        actions = [];
        if (action.action === 'refuse') {
          actions.push(formatLimitAction(action));
          throw new LimitActionRefusedError(tenant, action.usedFraction, action.atFraction);
        } else if (action.action === 'warn' || action.action === 'throttle') {
          actions.push(formatLimitAction(action)); // throttle: no wait on the trace clock
        } else {
          const excluded = downgradeExclusions(policy, action, decision.chosen, false);
          if (excluded) {
            let downgraded: Decision | undefined;
            try {
              downgraded = decide(policy, { tenant, tags, promptTokens, excluded }, classification);
            } catch {
              actions.push(`${formatLimitAction(action)}:unavailable`);
            }
            if (downgraded) {
              actions.push(formatLimitAction(action));
              decision = downgraded;
              if (this.budgeted(tenant)) this.budgets.refundSync(reservation);
              reservation = this.reserve(decision, row, promptTokens, cap, `${id}:downgraded`);
            }
          }
        }
      }
      answer = this.answer(decision, row, id, cap);
    } catch (err) {
      if (!(err instanceof TollgateError)) throw err;
      error = err;
    }
    const settled = settledUsage(answer, promptTokens);
    if (reservation) {
      const actual = { micros: settled.cost.full, tokens: settled.usage.inputTokens + settled.usage.outputTokens };
      if (!this.budgeted(tenant)) {
        if (answer) checkAmounts('settlement', actual.micros, actual.tokens); // all that settleSync would do
      } else if (answer) this.budgets.settleSync(reservation, actual);
      else this.budgets.refundSync(reservation);
    }
    return buildDecisionRecord({ policy, facts, classification, decision, answer, cacheEnabled: false, settled, error, actions, now });
  }

  /**
   * Whether a rate limit can apply to (tenant, model). When none can, the limiter's take plans no rule
   * and allows without touching its state (its periodic sweep only drops states that no longer limit
   * anything), so skipping it changes nothing.
   */
  private limited(tenant: string, model: string): boolean {
    const p = this.policy.policy;
    return p.tenants[tenant]?.rateLimit !== undefined || p.modelLimits[model] !== undefined;
  }

  /**
   * Reserves through the store's synchronous twin; for a tenant without budgets through
   * `reserveUnbudgetedSync`, which keeps no per-request memory (for such a tenant the result is the
   * same, and so is the store's behaviour for every other tenant; see its doc). Reservations of such a
   * tenant are then neither settled nor refunded: there is nothing to release.
   */
  private reserve(d: Decision, row: TraceRequest, promptTokens: ReadonlyMap<Encoding, number>, cap: number, requestId: string): Reservation {
    const { micros, tokens } = reservationSize(this.policy, d, promptTokens, cap);
    const req = { tenant: row.tenant, requestId, micros, tokens, tags: row.tags };
    return this.budgeted(row.tenant) ? this.budgets.reserveSync(req) : this.budgets.reserveUnbudgetedSync(req);
  }

  /** Whether the tenant has any budget (memoised per tenant; the policy is fixed). */
  private budgeted(tenant: string): boolean {
    let b = this.hasBudgets.get(tenant);
    if (b === undefined) {
      if (this.hasBudgets.size >= 4_096) this.hasBudgets.clear(); // bounded for traces of many tenants
      this.hasBudgets.set(tenant, (b = this.budgets.hasBudgets(tenant)));
    }
    return b;
  }

  /** The simulated adapter's answer from the chosen model (the same draws as `SimulatedAdapter.call`). */
  private answer(d: Decision, row: TraceRequest, id: string, cap: number): SettledAnswer {
    const m = d.chosen;
    const u = drawUniforms(this.prefixes.get(m.id)!, id, this.u);
    const hint = { outputTokens: row.outputTokens, labels: row.labels };
    const outputTokens = drawOutputTokens(u, hint, cap);
    const inputTokens = row.promptTokens ?? countChatTokens(row.messages!, m.spec.encoding);
    return {
      model: m,
      response: { usage: { inputTokens, outputTokens, cachedInputTokens: 0 }, usageSource: 'vendor', quality: drawQuality(u, hint, m.id, m.spec.quality) },
      attempts: 1,
      fallbacks: [],
    };
  }
}

const NO_ACTIONS: string[] = [];
const NO_MESSAGES: never[] = [];

/**
 * True when the request built from `row` certainly passes the engine's request schema: the trace
 * schema already checked every field except the request's length limits (id, tenant ≤ 200 chars,
 * ≤ 32 tags). Rows outside those limits go through the schema itself.
 */
function cheaplyValid(row: TraceRequest): boolean {
  return typeof row.id === 'string' && row.id.length <= 200 && row.tenant.length <= 200 && row.tags.length <= 32;
}
