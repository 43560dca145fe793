import type { Container } from 'inversify';
import { CircuitBreaker, type CircuitSnapshot } from './circuit-breaker.js';
import type { CompiledPolicy } from './compiled-policy.js';
import { TOKENS } from './container.js';
import type { CostBreakdown, TokenUsage } from './cost.js';
import type { CandidateRecord, DecisionRecord } from './decision-record.js';
import { TollgateError, ValidationError } from './errors.js';
import { feedbackRecord } from './feedback.js';
import { GuardBook, type GuardSnapshot } from './guard-state.js';
import { realSleep } from './invoke.js';
import { EngineBudgets, outageAwareLimiter, type PendingSpend } from './engine-budgets.js';
import { DEFAULT_IDEMPOTENCY_RETENTION_MS, idempotencyKeyOf, idempotencyLeaseMs, type IdempotencySettings, requestFingerprint, runIdempotent } from './idempotency.js';
import { CostLedger } from './ledger.js';
import { LoopDetector } from './loop-detector.js';
import { countedRequestFacts } from './request-facts.js';
import { runRequest } from './request-machine.js';
import { answerExtras, genAiSpanName, recordDecisionOnSpan, withRequestSpan } from './tracing.js';
import { type EngineDeps, type RecordObserver, type RequestContext, classify, route } from './request-steps.js';
import { type TollgateRequest, validateRequest } from './request.js';
import { type Decision, explainDecision } from './router.js';
import { compileCapacity, type ServiceEstimate, serviceEstimate } from './capacity.js';
import { type EmbedRequest, type EmbedResult, runEmbed } from './embed.js';
import type { Classification } from './seams/classifier.js';
import type { IdempotencyStore } from './seams/idempotency-store.js';
import type { ModelAdapter, ModelChoice, ToolCallDelta } from './seams/model-adapter.js';
import type { ToolCall } from './request.js';
import { type DeferredHandle, deferOrRun, deferredHandle, settleDeferred } from './deferred-request.js';
import type { DeferredQueue } from './seams/deferred-queue.js';

/** The answer to `complete()`. Money is integer micro-dollars. */
export interface CompletionResult {
  id: string;
  text: string;
  model: string;
  tier: string;
  usage: TokenUsage;
  cost: CostBreakdown;
  cached: boolean;
  /** The settled decision-log record for this request. */
  record: DecisionRecord;
  /** True when this is the stored first answer to a request with the same id and body (no model call, no charge). */
  replayed?: boolean;
  /** OpenAI finish reason (`stop`, `length`, `tool_calls`, `content_filter`…). */
  finishReason: string;
  /** Calls the model made. */
  toolCalls?: ToolCall[];
  refusal?: string;
  /** Every choice when `n` > 1 (the first is the top-level answer). */
  choices?: ModelChoice[];
}

/** The answer to `decide()`: what would happen, without calling any model or touching budgets. */
export interface DryRun {
  requestId: string;
  rule: string;
  model: string;
  tier: string;
  promptTokens: number;
  predictedCostMicros: number;
  predictedQuality: number;
  candidates: CandidateRecord[];
  fallbackChain: string[];
  classification: Classification;
  /**
   * Self-hosted candidates (a `capacity` curve or `infra`): predicted service time for this prompt and the
   * predicted output, alone on a replica and in a full batch (no queue; docs/capacity.md).
   */
  selfHostedLatency: ServiceEstimate[];
  explanation: string;
}

/** A streamed piece (text and/or tool-call pieces, OpenAI-style), then the settled result. */
export type StreamChunk = { type: 'delta'; text: string; toolCalls?: ToolCallDelta[] } | { type: 'done'; result: CompletionResult };

/** What operators inspect (`GET /v1/tollgate/state`): each model's circuit and each tenant's guard, at `at`. */
export interface TollgateState {
  /** Engine clock, epoch ms. */
  at: number;
  /** Every policy model's circuit breaker. */
  models: CircuitSnapshot[];
  /** Every tenant that has left `normal` since the engine started (others are normal). */
  tenants: GuardSnapshot[];
}

export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * The engine: one xstate actor per request over seams resolved from an inversify container.
 * Create it with `createTollgate()` (compose.ts), which binds the default implementations.
 */
export class Tollgate {
  readonly ledger: CostLedger;
  readonly policy: CompiledPolicy;
  private readonly deps: EngineDeps;
  private readonly engineBudgets: EngineBudgets;
  private readonly idempotency?: IdempotencySettings;
  private readonly breaker: CircuitBreaker;
  private readonly guards: GuardBook;
  private readonly deferredQueue?: DeferredQueue;
  /** Whether a policy rule has `action: defer` (then `submit()` routes before it runs). */
  readonly hasDeferRules: boolean;

  constructor(container: Container) {
    const policy = container.get<CompiledPolicy>(TOKENS.Policy);
    this.policy = policy;
    this.ledger = new CostLedger();
    const adapters = container.get<ReadonlyMap<string, ModelAdapter>>(TOKENS.ModelAdapters);
    const sleep = container.get<(ms: number) => Promise<void>>(TOKENS.Sleep, { optional: true }) ?? realSleep;
    const now = container.get<() => number>(TOKENS.Clock, { optional: true }) ?? Date.now;
    const breaker = new CircuitBreaker(policy.policy.circuitBreaker.failureThreshold, policy.policy.circuitBreaker.cooldownMs, now);
    const guards = new GuardBook(policy.policy.tenants);
    this.breaker = breaker;
    this.guards = guards;
    const outage = { mode: policy.policy.onStoreUnavailable, openSpendCapMicros: Math.round(policy.policy.failOpenSpendCapUsd * 1e6) };
    this.engineBudgets = new EngineBudgets(container.get(TOKENS.BudgetStore), outage);
    const idem = container.get<IdempotencyStore>(TOKENS.IdempotencyStore, { optional: true });
    if (idem) {
      const retentionMs = container.get<number>(TOKENS.IdempotencyRetentionMs, { optional: true }) ?? DEFAULT_IDEMPOTENCY_RETENTION_MS;
      this.idempotency = { store: idem, retentionMs, leaseMs: idempotencyLeaseMs(policy.policy.retry, policy.models.length), sleep: realSleep };
    }
    this.deps = {
      policy,
      classifier: container.get(TOKENS.Classifier),
      adapters,
      budgets: this.engineBudgets,
      rateLimiter: outageAwareLimiter(container.get(TOKENS.RateLimiter), outage),
      cache: container.get(TOKENS.Cache, { optional: true }),
      sink: container.get(TOKENS.DecisionSink),
      ledger: this.ledger,
      now,
      inflight: new Map(),
      observers: [(r) => guards.observeRecord(r, now()), ...(container.get<RecordObserver[]>(TOKENS.Observers, { optional: true }) ?? [])],
      invoker: { adapterFor: (m) => adapters.get(m.spec.adapter)!, breaker, retry: policy.policy.retry, sleep },
      sleep,
      loops: policy.policy.loopDetection ? new LoopDetector(policy.policy.loopDetection) : undefined,
    };
    this.hasDeferRules = policy.rules.some((r) => r.spec.action === 'defer');
    this.deferredQueue = container.get<DeferredQueue>(TOKENS.DeferredQueue, { optional: true });
    this.deferredQueue?.subscribe(settleDeferred(this.deps));
    for (const m of policy.models) {
      if (!this.deps.adapters.get(m.spec.adapter)) throw new TollgateError('adapter_missing', `No adapter bound for "${m.spec.adapter}" (model ${m.id})`, { model: m.id });
    }
  }

  /**
   * Embeddings (engine/embed.ts): counted, routed to the cheapest embeddings model (or the pinned one),
   * rate-limited, budgeted, priced input-only, deduplicated per tenant by content hash, logged with
   * `operation: "embeddings"`.
   */
  embed(request: EmbedRequest, options: CallOptions = {}): Promise<EmbedResult> {
    return runEmbed(this.deps, request, options.signal);
  }

  /** Dry run: validates, counts, classifies and routes. Calls no model; reserves nothing. */
  async decide(request: TollgateRequest): Promise<DryRun> {
    const ctx = await this.context(request);
    ctx.classification = await classify(this.deps, ctx);
    const d = route(this.deps, ctx);
    return {
      requestId: ctx.facts.id,
      rule: d.rule,
      model: d.chosen.id,
      tier: d.chosen.tier,
      promptTokens: d.promptTokens,
      predictedCostMicros: d.predictedCostMicros,
      predictedQuality: d.predictedQuality,
      candidates: d.candidates,
      fallbackChain: d.fallbackChain,
      classification: ctx.classification,
      selfHostedLatency: selfHostedLatency(this.policy, d, ctx.classification.predictedOutputTokens),
      explanation: explainDecision(d),
    };
  }

  /**
   * Routes and calls a model; resolves after the decision is durably logged. Throws a TollgateError on failure (also logged).
   * With `deferrable: { within }` the request is queued for its vendor's batch API instead and the answer is a
   * {@link DeferredHandle} (`await handle.result()`); a request a `defer` rule matches waits for its batch result.
   */
  complete(request: TollgateRequest & { deferrable: { within: string } }, options?: CallOptions): Promise<DeferredHandle>;
  complete(request: TollgateRequest, options?: CallOptions): Promise<CompletionResult>;
  async complete(request: TollgateRequest, options: CallOptions = {}): Promise<CompletionResult | DeferredHandle> {
    const ctx = await this.context(request, options.signal);
    if (!ctx.facts.request.deferrable && !this.hasDeferRules) return this.run(ctx);
    const handle = await deferOrRun(this.deps, this.deferredQueue, ctx);
    if (!handle) return this.run(ctx);
    return ctx.facts.request.deferrable ? handle : handle.result();
  }

  /**
   * {@link complete}, answering at once either way: the result of a request run now, or the handle of one
   * deferred (by `deferrable` or a `defer` rule). What faces use when they answer a deferral with a handle.
   */
  async submit(request: TollgateRequest, options: CallOptions = {}): Promise<CompletionResult | DeferredHandle> {
    const ctx = await this.context(request, options.signal);
    if (!ctx.facts.request.deferrable && !this.hasDeferRules) return this.run(ctx);
    return (await deferOrRun(this.deps, this.deferredQueue, ctx)) ?? this.run(ctx);
  }

  /** The handle of a deferred request by its id (pending, or settled in this process), or `undefined`. */
  deferred(requestId: string): DeferredHandle | undefined {
    const s = this.deferredQueue?.status(requestId);
    return s && deferredHandle(this.deps, this.deferredQueue!, s.requestId, s.tenant, s.model);
  }

  /**
   * Streaming completion: yields text deltas as they arrive, then one `done` chunk with the settled result.
   * Fallbacks apply until the first delta; a failure after that ends the stream with a TollgateError.
   */
  async *stream(request: TollgateRequest, options: CallOptions = {}): AsyncGenerator<StreamChunk> {
    const queue: { text: string; toolCalls?: ToolCallDelta[] }[] = [];
    let wake: (() => void) | undefined;
    const ctx = await this.context(request, options.signal);
    if ((ctx.facts.request.n ?? 1) > 1) throw new ValidationError('request', [{ path: 'n', message: 'n > 1 is not supported when streaming' }]);
    if (ctx.facts.request.deferrable) throw new ValidationError('request', [{ path: 'deferrable', message: 'a deferred request cannot stream' }]);
    ctx.stream = (text, toolCalls) => {
      queue.push(toolCalls?.length ? { text, toolCalls } : { text });
      wake?.();
    };
    let finished = false;
    const result = this.run(ctx).finally(() => {
      finished = true;
      wake?.();
    });
    result.catch(() => undefined);
    for (;;) {
      while (queue.length) yield { type: 'delta', ...queue.shift()! };
      if (finished) break;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
    const done = await result;
    if (done.cached || done.replayed) yield { type: 'delta', text: done.text, ...(done.toolCalls && { toolCalls: done.toolCalls.map((c, index) => ({ index, id: c.id, name: c.function.name, arguments: c.function.arguments })) }) };
    yield { type: 'done', result: done };
  }

  /**
   * Records quality feedback (score in [0, 1]) on a past request: appends a feedback line to the decision
   * log (engine/feedback.ts); records are never rewritten. `tollgate tune` uses it as observed quality.
   */
  async feedback(requestId: string, score: number): Promise<void> {
    const line = feedbackRecord(requestId, score, this.deps.now());
    await this.deps.sink.append(line as unknown as DecisionRecord); // sinks write lines opaquely
  }

  /** Each model's circuit breaker and each tenant's guard state, now (engine clock). */
  inspect(): TollgateState {
    const at = this.deps.now();
    return { at, models: this.policy.models.map((m) => this.breaker.describe(m.id)), tenants: this.guards.snapshot(at) };
  }

  /**
   * Budget spend not yet applied in the budget store because it was unreachable (queued settles, and
   * spend made under `onStoreUnavailable: fail-open`); applied in order when the store answers again.
   */
  pendingSpend(): PendingSpend {
    return this.engineBudgets.pending();
  }

  /** Tries to apply queued budget spend now (it is also retried every second while any is queued). */
  flushPendingSpend(): Promise<PendingSpend> {
    return this.engineBudgets.flush().then(() => this.engineBudgets.pending());
  }

  /** Flushes and closes the decision sink (queued budget spend is tried once more first). */
  async close(): Promise<void> {
    await this.deferredQueue?.close(); // no batch settles into a closed log
    if (this.engineBudgets.pending().operations) await this.engineBudgets.flush();
    this.engineBudgets.stop();
    await this.deps.sink.close();
  }

  /** Validates, checks the prompt's size and counts it (large prompts on the token worker: engine/token-pool.ts). */
  private async context(request: TollgateRequest, signal?: AbortSignal): Promise<RequestContext> {
    const valid = validateRequest(request);
    return { facts: await countedRequestFacts(this.policy, valid, this.deps.now()), signal, actions: [] };
  }

  /**
   * Runs a request; one with a client id goes through the idempotency store first (engine/idempotency.ts):
   * a completed duplicate is answered from there, a conflicting one is refused, a concurrent one waits.
   */
  private async run(ctx: RequestContext): Promise<CompletionResult> {
    const key = this.idempotency ? idempotencyKeyOf(ctx.facts.request) : undefined;
    if (!key) return this.runOnce(ctx);
    const out = await runIdempotent(this.idempotency!, ctx.facts.request.tenant, key, requestFingerprint(ctx.facts.request), () => this.runOnce(ctx));
    return out.replayed ? { ...out.result, replayed: true } : out.result;
  }

  private async runOnce(ctx: RequestContext): Promise<CompletionResult> {
    const req = ctx.facts.request;
    const name = genAiSpanName({ model: req.model ?? 'auto' });
    const attrs = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': req.model ?? 'auto', 'tollgate.tenant': req.tenant, 'tollgate.request_id': ctx.facts.id };
    const { record: rec, ctx: end } = await withRequestSpan(name, attrs, async (span) => {
      const outcome = await runRequest(this.deps, ctx);
      if (outcome.record) recordDecisionOnSpan(span, outcome.record, answerExtras(outcome.ctx));
      return outcome;
    });
    if (end.error || !rec) throw end.error;
    const record = rec;
    const a = end.answer;
    const hit = end.cacheHit;
    return {
      id: record.requestId,
      text: a?.response.text ?? hit?.text ?? '',
      model: record.model!,
      tier: record.tier ?? '',
      usage: {
        inputTokens: record.tokens.input, outputTokens: record.tokens.output, cachedInputTokens: record.tokens.cached,
        ...(record.tokens.cacheWrite && { cacheWriteTokens: record.tokens.cacheWrite }),
        ...(record.tokens.reasoning && { reasoningTokens: record.tokens.reasoning }),
      },
      cost: record.cost as CostBreakdown,
      cached: !!hit,
      record,
      finishReason: a?.response.finishReason ?? 'stop',
      ...(a?.response.toolCalls && { toolCalls: a.response.toolCalls }),
      ...(a?.response.refusal && { refusal: a.response.refusal }),
      ...(a?.response.choices && { choices: a.response.choices }),
    };
  }
}

/** Service-time estimates of the decision's self-hosted candidates (pure; for {@link Tollgate.decide}). */
function selfHostedLatency(policy: CompiledPolicy, d: Decision, outputTokens: number): ServiceEstimate[] {
  const out: ServiceEstimate[] = [];
  for (const c of d.candidates) {
    const m = policy.byId.get(c.model);
    const cap = m?.basis.capacity ?? (m ? compileCapacity(m.spec) : undefined);
    if (cap) out.push(serviceEstimate(c.model, cap, d.promptTokens, outputTokens));
  }
  return out;
}
