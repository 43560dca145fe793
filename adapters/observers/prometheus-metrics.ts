import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DecisionRecord } from '../../engine/decision-record.js';
import { windowDurationMs, type BudgetWindow } from '../../engine/budget-windows.js';
import { compileCapacity } from '../../engine/capacity.js';
import { gpuHoursPerMillion } from '../../engine/cost.js';
import { limitActionKind } from '../../engine/limit-actions.js';
import { usdToMicros } from '../../engine/money.js';
import type { Policy } from '../../policies/schema.js';
import { LabelLimiter } from './label-limiter.js';

export interface TollgateMetricsOptions {
  /** Registry to register on. Default: a new one of its own (never prom-client's global registry). */
  registry?: Registry;
  /** Distinct tenant label values before the rest are reported as `other`. Default 50. */
  maxTenants?: number;
  /** Tenants that get their own label first (e.g. `Object.keys(policy.tenants)`). */
  knownTenants?: Iterable<string>;
  /** Distinct model label values before the rest are `other`. Default 100. */
  maxModels?: number;
  knownModels?: Iterable<string>;
  /** Histogram buckets (seconds) of `tollgate_decision_duration_seconds`. */
  decisionBuckets?: number[];
  /**
   * The policy being served: its tenants and models become known labels, its tenant-wide money budgets
   * are exported (`tollgate_budget_limit_microdollars`, `tollgate_budget_window_seconds`) for burn-rate
   * rules, and its self-hosted models' GPUs (`tollgate_gpus_provisioned`, `tollgate_gpu_hours_total`).
   */
  policy?: Pick<Policy, 'tenants' | 'models'>;
  /** Clock for the budget window length of calendar windows (a month's length varies). Default `Date.now`. */
  now?: () => number;
}

/** Facts about a request that are not in its decision record (kept out of the log). */
export interface ObserveExtras {
  /** Input tokens Tollgate counted before the call (for the model that answered). */
  precountedInputTokens?: number;
}

/** Per-request token histogram buckets. */
const TOKEN_BUCKETS = [16, 64, 256, 1024, 4096, 16384, 65536, 262144];

/**
 * Tollgate's Prometheus metrics, all computed from settled decision records (`observe`) plus two
 * engine-fed values (decision latency, budget remaining). Tenant and model labels are bounded
 * ({@link LabelLimiter}); every other label takes values from a closed set.
 */
export class TollgateMetrics {
  readonly registry: Registry;
  private readonly tenants: LabelLimiter;
  private readonly models: LabelLimiter;
  private readonly requests: Counter<'tenant' | 'model' | 'tier' | 'outcome'>;
  private readonly tokens: Counter<'tenant' | 'model' | 'direction'>;
  private readonly cost: Counter<'tenant' | 'model' | 'component'>;
  private readonly cacheLookups: Counter<'tenant'>;
  private readonly cacheHits: Counter<'tenant'>;
  private readonly actions: Counter<'tenant' | 'action'>;
  private readonly budgetRemaining: Gauge<'tenant'>;
  private readonly decisionDuration: Histogram;
  private readonly requestDuration: Histogram<'outcome' | 'model'>;
  private readonly requestTokens: Histogram<'direction'>;
  private readonly precount: Counter<'tenant' | 'model'>;
  private readonly vendorCount: Counter<'tenant' | 'model'>;
  private readonly gpuHours: Counter<'tenant' | 'model'>;
  private readonly policyInfo: Gauge<'policy' | 'version'>;
  private readonly batchQueue: Gauge<'state'>;
  private readonly gpuHoursPerM = new Map<string, number>();
  private policySeen: { policy: string; version: string } | undefined;

  constructor(options: TollgateMetricsOptions = {}) {
    const registers = [(this.registry = options.registry ?? new Registry())];
    const policy = options.policy;
    this.tenants = new LabelLimiter(options.maxTenants ?? 50, options.knownTenants ?? Object.keys(policy?.tenants ?? {}));
    this.models = new LabelLimiter(options.maxModels ?? 100, options.knownModels ?? policy?.models.map((m) => m.id));
    this.requests = new Counter({ name: 'tollgate_requests_total', help: 'Requests by tenant, answering model, tier and outcome (ok, error, refused).', labelNames: ['tenant', 'model', 'tier', 'outcome'], registers });
    this.tokens = new Counter({ name: 'tollgate_tokens_total', help: 'Tokens by direction (input, output, cached).', labelNames: ['tenant', 'model', 'direction'], registers });
    this.cost = new Counter({ name: 'tollgate_cost_microdollars_total', help: 'Settled cost in micro-dollars by component (vendor, infra, ops); full cost is their sum.', labelNames: ['tenant', 'model', 'component'], registers });
    this.cacheLookups = new Counter({ name: 'tollgate_cache_lookups_total', help: 'Cache lookups.', labelNames: ['tenant'], registers });
    this.cacheHits = new Counter({ name: 'tollgate_cache_hits_total', help: 'Cache hits (hit ratio = hits / lookups).', labelNames: ['tenant'], registers });
    this.actions = new Counter({ name: 'tollgate_limit_actions_total', help: 'Budget limit actions applied (warn, downgrade, throttle, refuse).', labelNames: ['tenant', 'action'], registers });
    this.budgetRemaining = new Gauge({ name: 'tollgate_budget_remaining_microdollars', help: 'Money left in the tenant\'s tightest budget, micro-dollars.', labelNames: ['tenant'], registers });
    this.decisionDuration = new Histogram({
      name: 'tollgate_decision_duration_seconds',
      help: 'Time the engine spends deciding a route (excluding the model call).',
      buckets: options.decisionBuckets ?? [1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'tollgate_request_duration_seconds',
      help: 'End-to-end request latency including the model call, by outcome and answering model.',
      labelNames: ['outcome', 'model'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.requestTokens = new Histogram({ name: 'tollgate_request_tokens', help: 'Tokens per request by direction (input, output).', labelNames: ['direction'], buckets: TOKEN_BUCKETS, registers });
    this.precount = new Counter({ name: 'tollgate_input_tokens_precounted_total', help: 'Input tokens Tollgate counted before the call, for requests whose usage the vendor reported (compare with tollgate_input_tokens_vendor_total).', labelNames: ['tenant', 'model'], registers });
    this.vendorCount = new Counter({ name: 'tollgate_input_tokens_vendor_total', help: 'Input tokens the vendor reported, for the same requests as tollgate_input_tokens_precounted_total.', labelNames: ['tenant', 'model'], registers });
    this.gpuHours = new Counter({ name: 'tollgate_gpu_hours_total', help: 'GPU-hours used by self-hosted models (a capacity model: the records\' gpuSeconds; an infra model: tokens × GPU-hours per token at its throughput).', labelNames: ['tenant', 'model'], registers });
    this.policyInfo = new Gauge({ name: 'tollgate_policy_info', help: 'The policy version of the latest settled record (value 1; a new version replaces the old series).', labelNames: ['policy', 'version'], registers });
    this.batchQueue = new Gauge({ name: 'tollgate_batch_queue_jobs', help: 'Vendor batch jobs by state: queued, running (submitted, not settled), done (settled), failed (settled after the batch expired or failed); set by the DeferredBatcher.', labelNames: ['state'], registers });
    const gpus = new Gauge({ name: 'tollgate_gpus_provisioned', help: 'GPUs provisioned per self-hosted model (from the policy; a capacity fleet at its min replicas).', labelNames: ['model'], registers });
    for (const m of policy?.models ?? []) {
      const cap = compileCapacity(m);
      if (!cap) continue;
      gpus.set({ model: this.models.label(m.id) }, cap.minReplicas * cap.gpusPerReplica); // a fleet at its min replicas
      // An infra model's GPU-hours are tokens × GPU-hours per token; a capacity fleet's come from each record's gpuSeconds.
      if (m.infra && !m.capacity) this.gpuHoursPerM.set(m.id, gpuHoursPerMillion(m.infra.gpus, m.infra.tokensPerSecond));
    }
    const budgets = Object.entries(policy?.tenants ?? {}).flatMap(([tenant, t]) =>
      t.budgets.filter((b) => b.usd !== undefined && b.usd > 0 && b.tag === undefined).map((b) => ({ tenant, window: b.window as BudgetWindow, usd: b.usd! })),
    );
    if (budgets.length > 0) {
      const now = options.now ?? Date.now;
      const limit = new Gauge({ name: 'tollgate_budget_limit_microdollars', help: 'Tenant-wide money budget per window, micro-dollars (from the policy).', labelNames: ['tenant', 'window'], registers });
      for (const b of budgets) limit.set({ tenant: this.tenants.label(b.tenant), window: b.window }, usdToMicros(b.usd));
      new Gauge({
        name: 'tollgate_budget_window_seconds',
        help: 'Length of the budget window now, seconds (a calendar month varies); limit / length is the ideal spend rate.',
        labelNames: ['tenant', 'window'],
        registers,
        collect() {
          for (const b of budgets) this.set({ tenant: b.tenant, window: b.window }, windowDurationMs(b.window, now()) / 1000);
        },
      });
    }
  }

  /** Updates every record-derived metric from one settled decision record. */
  observe(r: DecisionRecord, extras: ObserveExtras = {}): void {
    const tenant = this.tenants.label(r.tenant);
    const answering = r.model ?? r.chosen ?? 'none';
    const model = this.models.label(answering);
    this.requests.inc({ tenant, model, tier: r.tier ?? 'none', outcome: r.outcome });
    for (const direction of ['input', 'output', 'cached'] as const) {
      if (r.tokens[direction] > 0) this.tokens.inc({ tenant, model, direction }, r.tokens[direction]);
    }
    for (const component of ['vendor', 'infra', 'ops'] as const) {
      if (r.cost[component] > 0) this.cost.inc({ tenant, model, component }, r.cost[component]);
    }
    if (r.cache) {
      this.cacheLookups.inc({ tenant });
      if (r.cache.hit) this.cacheHits.inc({ tenant });
    }
    for (const a of r.actions ?? []) this.actions.inc({ tenant, action: limitActionKind(a) });
    this.requestDuration.observe({ outcome: r.outcome, model }, r.latencyMs / 1000);
    if (r.outcome !== 'refused') {
      this.requestTokens.observe({ direction: 'input' }, r.tokens.input);
      this.requestTokens.observe({ direction: 'output' }, r.tokens.output);
    }
    const pre = extras.precountedInputTokens;
    if (pre !== undefined && pre > 0 && r.tokens.source === 'vendor' && !r.cache?.hit) {
      this.precount.inc({ tenant, model }, pre);
      this.vendorCount.inc({ tenant, model }, r.tokens.input);
    }
    const perM = this.gpuHoursPerM.get(answering);
    const served = r.tokens.input + r.tokens.output;
    if (r.gpuSeconds !== undefined && r.gpuSeconds > 0 && !r.cache?.hit) this.gpuHours.inc({ tenant, model }, r.gpuSeconds / 3600);
    else if (perM && served > 0 && !r.cache?.hit) this.gpuHours.inc({ tenant, model }, (served * perM) / 1_000_000);
    const seen = this.policySeen;
    if (!seen || seen.policy !== r.policy.name || seen.version !== r.policy.version) {
      if (seen) this.policyInfo.remove(seen);
      this.policySeen = { policy: r.policy.name, version: r.policy.version };
      this.policyInfo.set(this.policySeen, 1);
    }
  }

  /** Sets how many vendor batch jobs are in a state (called by `DeferredBatcher` after every job transition: its `gauge` option). */
  setBatchQueue(state: 'queued' | 'running' | 'done' | 'failed', jobs: number): void {
    this.batchQueue.set({ state }, jobs);
  }

  /** Records how long one routing decision took. */
  observeDecisionDuration(seconds: number): void {
    this.decisionDuration.observe(seconds);
  }

  /** Sets the money left for a tenant (e.g. from a BudgetStore's usage, the tightest µ$ budget). */
  setBudgetRemaining(tenant: string, micros: number): void {
    this.budgetRemaining.set({ tenant: this.tenants.label(tenant) }, micros);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

/**
 * A node:http request handler serving a registry's text format: `GET`/`HEAD` → 200, anything else → 405.
 * Mount it at `/metrics` (`http.createServer(metricsHandler(metrics))` or inside a router).
 */
export function metricsHandler(source: { registry: Registry }): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    source.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': source.registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  };
}
