import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DecisionRecord } from '../../engine/decision-record.js';
import { limitActionKind } from '../../engine/limit-actions.js';
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
}

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
  private readonly requestDuration: Histogram<'outcome'>;

  constructor(options: TollgateMetricsOptions = {}) {
    const registers = [(this.registry = options.registry ?? new Registry())];
    this.tenants = new LabelLimiter(options.maxTenants ?? 50, options.knownTenants);
    this.models = new LabelLimiter(options.maxModels ?? 100, options.knownModels);
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
      help: 'End-to-end request latency including the model call.',
      labelNames: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
  }

  /** Updates every record-derived metric from one settled decision record. */
  observe(r: DecisionRecord): void {
    const tenant = this.tenants.label(r.tenant);
    const model = this.models.label(r.model ?? r.chosen ?? 'none');
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
    this.requestDuration.observe({ outcome: r.outcome }, r.latencyMs / 1000);
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
