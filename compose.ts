/**
 * The composition root: the one place that binds the engine's seams to concrete implementations.
 * Everything else depends on interfaces (engine/seams/*).
 */
import { AnthropicAdapter } from './adapters/anthropic-adapter.js';
import { artifactPath, LazyClassifier, loadPolicyClassifier } from './adapters/classifiers/policy-classifier.js';
import { RulesClassifier } from './adapters/classifiers/rules-classifier.js';
import { GenaiPricesCatalog } from './adapters/genai-prices-catalog.js';
import { OpenAICompatibleAdapter } from './adapters/openai-compatible-adapter.js';
import { SimulatedAdapter } from './adapters/simulated-adapter.js';
import { type Durability, JsonlDecisionSink } from './adapters/sinks/jsonl-decision-sink.js';
import { MemoryDecisionSink } from './adapters/sinks/memory-decision-sink.js';
import { MemoryBudgetStore } from './adapters/stores/memory-budget-store.js';
import { MemoryIdempotencyStore } from './adapters/stores/memory-idempotency-store.js';
import { MemoryRateLimiter } from './adapters/stores/memory-rate-limiter.js';
import { RedisBudgetStore } from './adapters/stores/redis-budget-store.js';
import { RedisCache } from './adapters/stores/redis-cache.js';
import { RedisIdempotencyStore } from './adapters/stores/redis-idempotency-store.js';
import { RedisRateLimiter } from './adapters/stores/redis-rate-limiter.js';
import type { Redis } from 'ioredis';
import { type CompiledPolicy, compilePolicy } from './engine/compiled-policy.js';
import { Container, ContainerModule } from 'inversify';
import { TOKENS } from './engine/container.js';
import type { DecisionRecord } from './engine/decision-record.js';
import type { BudgetStore } from './engine/seams/budget-store.js';
import type { Cache } from './engine/seams/cache.js';
import type { RequestClassifier } from './engine/seams/classifier.js';
import type { DecisionSink } from './engine/seams/decision-sink.js';
import type { IdempotencyStore } from './engine/seams/idempotency-store.js';
import type { ModelAdapter, ModelCallInput, ModelResponse, StreamEvent } from './engine/seams/model-adapter.js';
import type { EmbedCallInput, EmbedResponse, EmbeddingAdapter } from './engine/embed.js';
import type { PriceCatalog } from './engine/seams/price-catalog.js';
import type { RateLimiter } from './engine/seams/rate-limiter.js';
import { TollgateError } from './engine/errors.js';
import { Tollgate } from './engine/tollgate.js';
import type { RecordObserver } from './engine/request-steps.js';
import type { TollgateMetrics } from './adapters/observers/prometheus-metrics.js';
import type { PostgresDecisionSinkOptions } from './adapters/postgres/postgres-decision-sink.js';
import { type BatchJobStore, FileBatchJobStore } from './adapters/batch/batch-job-store.js';
import { DeferredBatcher, type DeferredBatcherOptions } from './adapters/batch/deferred-batcher.js';
import type { DeferredQueue } from './engine/seams/deferred-queue.js';
import { type LoadedPolicy, loadPolicySync, resolvePolicy } from './policies/loader.js';
import type { PolicyInput } from './policies/schema.js';

export interface TollgateOptions {
  /** A policy object (as written with `definePolicy`), a loaded policy, or a path to a policy file. */
  policy: PolicyInput | LoadedPolicy | string;
  /** Model adapters by kind; defaults: `openai-compatible`, `anthropic`, `simulated`, `local-onnx` (loaded on first use). */
  adapters?: Partial<Record<string, ModelAdapter>>;
  classifier?: RequestClassifier;
  priceCatalog?: PriceCatalog;
  /** Defaults to the in-process store built from the policy's tenant budgets. */
  budgetStore?: BudgetStore;
  /**
   * Where first answers of requests with a client id are kept for replay (engine/idempotency.ts). Default
   * an in-process store (at most 10,000 entries), or `RedisIdempotencyStore` on the `redis` client when one is given;
   * `false` turns idempotency off.
   */
  idempotencyStore?: IdempotencyStore | false;
  /** How long a first answer is replayed for the same id and body, ms. Default 24 h. */
  idempotencyRetentionMs?: number;
  /** Defaults to the in-process limiter built from the policy's tenant and model limits. */
  rateLimiter?: RateLimiter;
  /** Optional response cache (exact + semantic; see embeddings/). */
  cache?: Cache;
  /**
   * Shared state for a fleet of replicas: budgets, rate limits and (with `cache`) the exact cache and
   * its single flight live in Redis, so every replica sees one budget (docs/deploy.md). Pass an ioredis
   * client (you own it: `createRedisClient(url)` from `tollgate/redis`, `quit()` on shutdown); explicit
   * `budgetStore`, `rateLimiter` or `cache` options win over it. Importing `tollgate` never loads ioredis.
   */
  redis?: { client: Redis; keyPrefix?: string; cache?: { ttlMs?: number; flightWaitMs?: number } };
  /** A JSONL path for the decision log, or any sink. Defaults to an in-memory sink. */
  decisionLog?: string | DecisionSink;
  /**
   * When an answer may go out for a JSONL `decisionLog` path: `fsync` (after fdatasync), `write` (default:
   * after write(2); fdatasync at most every 100 ms) or `none` (benchmarks only). docs/gateway.md, "Durability".
   */
  durability?: Durability;
  /**
   * The PostgreSQL deployment profile: the decision log goes to `PostgresDecisionSink` (`tollgate/postgres`),
   * bound lazily — the adapter and the `pg` package are loaded, and the schema migrated, on the first append.
   * An explicit `decisionLog` wins over it.
   */
  postgres?: PostgresDecisionSinkOptions;
  /**
   * Last word on the bindings: called with the inversify container after the profile modules (memory, then
   * Redis when `redis` is given, then PostgreSQL when `postgres` is), before the engine resolves anything.
   * Rebind any seam by its token: `container: (c) => { c.rebind(TOKENS.Cache).toConstantValue(myCache); }`.
   */
  container?: (c: Container) => void;
  /** Seed of the simulated adapter. */
  seed?: number;
  /** Epoch-ms clock (tests, replays). */
  clock?: () => number;
  /**
   * How the engine waits: throttle actions and retry backoff (default: real time). A replay on a trace's
   * own clock passes one that resolves at once, so the simulated time is not slept for real.
   */
  sleep?: (ms: number) => Promise<void>;
  /** Called with every settled decision record (alerts, custom reporting). */
  observers?: RecordObserver[];
  /** Prometheus metrics to update from every settled record (`new TollgateMetrics()`; serve with `metricsHandler`). */
  metrics?: TollgateMetrics;
  /**
   * Deferrable work through vendor batch APIs (docs/capacity.md, "Deferrable work"): the batch clients and
   * the job store (a path: a JSON file next to the decision log) of a `DeferredBatcher` built on this
   * engine's policy, decision log and `metrics` (its batch-queue gauge), polling every `pollMs`; or any
   * `DeferredQueue`. Without it a deferrable request is refused (`batch_unsupported`).
   */
  deferred?: DeferredQueue | DeferredOptions;
}

/** {@link TollgateOptions.deferred}: a `DeferredBatcher`'s options less what the engine provides. */
export type DeferredOptions = Omit<DeferredBatcherOptions, 'policy' | 'sink' | 'store' | 'gauge'> & { store: string | BatchJobStore };

/** Builds an engine: validates and prices the policy, binds the seams, returns the Tollgate. */
export function createTollgate(options: TollgateOptions): Tollgate {
  return new Tollgate(tollgateContainer(options));
}

/**
 * The container {@link createTollgate} builds the engine from: the deployment profiles as inversify
 * container modules, loaded in order — `core` (policy, prices, classifier, adapters, clock, observers),
 * `memory` (in-process stores, the in-memory or JSONL log), then `redis` when `options.redis` is given
 * (budgets, rate limits, idempotency and the exact cache shared by a fleet) and `postgres` when
 * `options.postgres` is (the decision log) — each later one rebinding what it provides. Explicit seam options
 * (`budgetStore`, `cache`, `decisionLog`…) win over every profile; `options.container` runs last.
 */
export function tollgateContainer(options: TollgateOptions): Container {
  const loaded = toLoaded(options.policy);
  const c = new Container();
  c.load(coreModule(options, loaded), memoryModule(options, loaded));
  if (options.redis) c.load(redisModule(options, loaded, options.redis));
  if (options.postgres && options.decisionLog === undefined) c.load(postgresModule(options.postgres));
  if (options.deferred) c.load(deferredModule(options, options.deferred));
  options.container?.(c);
  return c;
}

function coreModule(options: TollgateOptions, loaded: LoadedPolicy): ContainerModule {
  return new ContainerModule(({ bind }) => {
    const catalog = options.priceCatalog ?? new GenaiPricesCatalog();
    const adapters = new Map<string, ModelAdapter>([
      ['openai-compatible', new OpenAICompatibleAdapter()],
      ['anthropic', new AnthropicAdapter()],
      ['simulated', new SimulatedAdapter(options.seed ?? 1)],
      ['local-onnx', new LazyLocalEmbeddingsAdapter()],
    ]);
    for (const [kind, adapter] of Object.entries(options.adapters ?? {})) if (adapter) adapters.set(kind, adapter);
    bind(TOKENS.PriceCatalog).toConstantValue(catalog);
    bind(TOKENS.Policy).toConstantValue(compilePolicy(loaded, catalog));
    bind(TOKENS.Classifier).toConstantValue(options.classifier ?? (artifactPath(loaded) ? new LazyClassifier(() => loadPolicyClassifier(loaded)) : new RulesClassifier()));
    bind(TOKENS.ModelAdapters).toConstantValue(adapters);
    bind(TOKENS.Clock).toConstantValue(options.clock ?? Date.now);
    if (options.sleep) bind(TOKENS.Sleep).toConstantValue(options.sleep);
    if (options.idempotencyRetentionMs !== undefined) bind(TOKENS.IdempotencyRetentionMs).toConstantValue(options.idempotencyRetentionMs);
    // Resolved when the engine asks, so that metrics watch whichever BudgetStore the profiles ended with.
    bind(TOKENS.Observers)
      .toDynamicValue((ctx) => [...(options.observers ?? []), ...(options.metrics ? [metricsObserver(options.metrics, ctx.get<BudgetStore>(TOKENS.BudgetStore), budgetedTenants(loaded.policy))] : [])])
      .inSingletonScope();
  });
}

/** The in-process profile: every store in memory, the decision log in memory or in a JSONL file. */
function memoryModule(options: TollgateOptions, loaded: LoadedPolicy): ContainerModule {
  return new ContainerModule(({ bind }) => {
    const clock = options.clock ?? Date.now;
    bind(TOKENS.BudgetStore).toConstantValue(options.budgetStore ?? new MemoryBudgetStore(loaded.policy.tenants, { clock }));
    bind(TOKENS.RateLimiter).toConstantValue(options.rateLimiter ?? new MemoryRateLimiter(loaded.policy, { clock }));
    if (options.cache) bind(TOKENS.Cache).toConstantValue(options.cache);
    const sink = typeof options.decisionLog === 'string' ? new JsonlDecisionSink(options.decisionLog, { durability: options.durability }) : (options.decisionLog ?? new MemoryDecisionSink());
    bind(TOKENS.DecisionSink).toConstantValue(sink);
    if (options.idempotencyStore !== false) bind(TOKENS.IdempotencyStore).toConstantValue(options.idempotencyStore ?? new MemoryIdempotencyStore({ clock }));
  });
}

/** The fleet profile: budgets, rate limits, idempotency and (with `redis.cache`) the exact cache live in Redis. */
function redisModule(options: TollgateOptions, loaded: LoadedPolicy, shared: NonNullable<TollgateOptions['redis']>): ContainerModule {
  return new ContainerModule(({ bind, rebind }) => {
    const redisOpts = { redis: shared.client, keyPrefix: shared.keyPrefix, clock: options.clock ?? Date.now };
    if (!options.budgetStore) rebind(TOKENS.BudgetStore).toConstantValue(new RedisBudgetStore({ ...redisOpts, tenants: loaded.policy.tenants }));
    if (!options.rateLimiter) rebind(TOKENS.RateLimiter).toConstantValue(new RedisRateLimiter({ ...redisOpts, policy: loaded.policy }));
    if (!options.cache && shared.cache) bind(TOKENS.Cache).toConstantValue(new RedisCache({ redis: shared.client, keyPrefix: shared.keyPrefix, ...shared.cache }));
    if (options.idempotencyStore === undefined) rebind(TOKENS.IdempotencyStore).toConstantValue(new RedisIdempotencyStore({ redis: shared.client, keyPrefix: shared.keyPrefix }));
  });
}

/** Deferrable work: the given queue, or a DeferredBatcher on the engine's policy and decision log, polling. */
function deferredModule(options: TollgateOptions, d: DeferredQueue | DeferredOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    if ('enqueue' in d) return void bind(TOKENS.DeferredQueue).toConstantValue(d);
    bind(TOKENS.DeferredQueue)
      .toDynamicValue((ctx) => {
        const store = typeof d.store === 'string' ? new FileBatchJobStore(d.store) : d.store;
        const o = { clock: options.clock, ...d, store, policy: ctx.get<CompiledPolicy>(TOKENS.Policy), sink: ctx.get<DecisionSink>(TOKENS.DecisionSink), gauge: options.metrics };
        return new DeferredBatcher(o).start();
      })
      .inSingletonScope();
  });
}

/** The PostgreSQL profile: the decision log in PostgreSQL, opened on first use. */
function postgresModule(pg: PostgresDecisionSinkOptions): ContainerModule {
  return new ContainerModule(({ rebind }) => {
    rebind(TOKENS.DecisionSink).toConstantValue(new LazyPostgresSink(pg));
  });
}

/**
 * Loads `tollgate/postgres` and opens the sink (connects, migrates) on the first append, so building an
 * engine with the PostgreSQL profile loads no `pg` and opens no connection until a record is written.
 */
export class LazyPostgresSink implements DecisionSink {
  readonly specificationVersion = 'v1' as const;
  private sink?: Promise<DecisionSink>;
  private closed = false;

  constructor(private readonly options: PostgresDecisionSinkOptions) {}

  /** Whether the PostgreSQL sink has been opened (by a first append). */
  get opened(): boolean {
    return this.sink !== undefined;
  }

  async append(record: DecisionRecord): Promise<void> {
    if (this.closed) throw new TollgateError('sink_closed', 'Decision log (PostgreSQL) is closed');
    this.sink ??= import('./adapters/postgres/index.js').then((m) => m.PostgresDecisionSink.open(this.options));
    this.sink.catch(() => (this.sink = undefined)); // a failed open is retried by the next append
    return (await this.sink).append(record);
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.sink;
    if (s) await (await s.catch(() => undefined))?.close();
  }
}

/**
 * The `local-onnx` adapter (embeddings/local-embeddings-adapter.ts), loaded on its first request: building
 * an engine, or importing `tollgate`, loads no embeddings module and no onnxruntime until a policy's
 * local embeddings model is asked to embed.
 */
export class LazyLocalEmbeddingsAdapter implements EmbeddingAdapter {
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'local-onnx';
  private adapter?: Promise<EmbeddingAdapter>;

  private load(): Promise<EmbeddingAdapter> {
    this.adapter ??= import('./embeddings/local-embeddings-adapter.js').then((m) => new m.LocalEmbeddingsAdapter());
    this.adapter.catch(() => (this.adapter = undefined));
    return this.adapter;
  }

  async embed(input: EmbedCallInput): Promise<EmbedResponse> {
    return (await this.load()).embed(input);
  }

  call(input: ModelCallInput): Promise<ModelResponse> {
    return this.load().then((a) => a.call(input));
  }

  async *stream(input: ModelCallInput): AsyncIterable<StreamEvent> {
    yield* (await this.load()).stream(input);
  }
}

/**
 * Feeds metrics from each record. The remaining-budget gauge needs a store query (a Redis round trip
 * for the shared store), so it is refreshed only for tenants with budgets, off the request's path, with
 * at most one query in flight per tenant: records that arrive meanwhile coalesce into one follow-up query.
 */
function metricsObserver(metrics: TollgateMetrics, budgets: BudgetStore, budgeted: ReadonlySet<string>): RecordObserver {
  const state = new Map<string, 'running' | 'dirty'>();
  const refresh = (tenant: string): void => {
    state.set(tenant, 'running');
    budgets
      .usage!(tenant)
      .then((usage) => {
        const money = usage.filter((u) => u.dimension === 'micros');
        if (money.length) metrics.setBudgetRemaining(tenant, Math.min(...money.map((u) => u.remaining)));
      })
      .catch(() => undefined)
      .finally(() => (state.get(tenant) === 'dirty' ? refresh(tenant) : state.delete(tenant)));
  };
  return (r, timing) => {
    metrics.observe(r, { precountedInputTokens: timing.precountedInputTokens });
    if (timing.decisionMs !== undefined) metrics.observeDecisionDuration(timing.decisionMs / 1000);
    if (!budgets.usage || !budgeted.has(r.tenant)) return;
    if (state.has(r.tenant)) state.set(r.tenant, 'dirty');
    else refresh(r.tenant);
  };
}

/**
 * {@link createTollgate}, but loads the policy's classifier first: a policy with
 * `classifier.kind: 'learned'` fails here (ClassifierArtifactError) if its artefact is bad, not at the first request.
 */
export async function createTollgateAsync(options: TollgateOptions): Promise<Tollgate> {
  const loaded = toLoaded(options.policy);
  return createTollgate({ ...options, policy: loaded, classifier: options.classifier ?? (await loadPolicyClassifier(loaded)) });
}

function budgetedTenants(policy: LoadedPolicy['policy']): Set<string> {
  return new Set(Object.entries(policy.tenants).filter(([, t]) => t.budgets.length > 0).map(([name]) => name));
}

function toLoaded(p: TollgateOptions['policy']): LoadedPolicy {
  if (typeof p === 'string') return loadPolicySync(p);
  if (isLoaded(p)) return p;
  return resolvePolicy(p);
}

const isLoaded = (p: object): p is LoadedPolicy => 'policy' in p && 'version' in p;
