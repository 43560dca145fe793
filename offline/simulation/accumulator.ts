import { costPerMillion } from '../../index.js';
import type { DecisionRecord } from '../../index.js';
import type { ModelShare, PolicySimulation, TenantSpend, TierShare, TimelinePoint } from './types.js';
import { LatencyHistogram } from './capacity-latency.js';
import type { CapacityTracker } from './capacity-windows.js';

/** How many decision records a report keeps verbatim (for a debug view). */
export const SAMPLE_DECISIONS = 50;

const BUDGET_CODES = new Set(['budget_exceeded', 'budget_action_refused']);

interface Bucket {
  requests: number;
  full: number;
  vendor: number;
  tokens: number;
}

/**
 * Sums one policy's settled decision records into a {@link PolicySimulation}. It never prices
 * anything: every amount comes from `record.cost` and `record.tokens`, the same fields the decision
 * log, the ledger and `tollgate report` read. Memory grows with the number of distinct tenants,
 * models and timeline buckets, never with the number of requests.
 */
export class SimulationAccumulator {
  private requests = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  private full = 0;
  private vendor = 0;
  private infra = 0;
  private ops = 0;
  private errors = 0;
  private cacheHits = 0;
  private readonly refused = { budget: 0, rateLimit: 0, other: 0 };
  private predictedSum = 0;
  private predictedCount = 0;
  private observedSum = 0;
  private observedCount = 0;
  private readonly byModel = new Map<string, ModelShare>();
  private readonly byTier = new Map<string, TierShare>();
  private readonly byTenant = new Map<string, TenantSpend>();
  private readonly timeline = new Map<number, Bucket>();
  /** The last record's timeline bucket and its start (a trace's rows come in time order: most share it). */
  private lastStart = Number.NaN;
  private lastBucket: Bucket | undefined;
  private readonly samples: DecisionRecord[] = [];
  /** Per-model latency: the record's, or queue + service from the capacity model for a self-hosted model. */
  private readonly latency = new Map<string, LatencyHistogram>();
  private capacityDone = false;

  /**
   * @param bucketMs timeline bucket width in trace time.
   * @param budgets  tenant → dollar budget in micro-dollars, copied into `byTenant`.
   */
  constructor(
    private readonly bucketMs: number,
    private readonly budgets: ReadonlyMap<string, number> = new Map(),
    /** The policy's self-hosted fleets (docs/capacity.md): queue model, provisioned GPU-hours, true-ups. */
    private readonly capacity?: CapacityTracker,
  ) {}

  /** Adds one settled record; `atMs` is the trace time of its request (the record's `time`). */
  add(r: DecisionRecord, atMs: number): void {
    this.requests++;
    const input = r.tokens.input;
    const output = r.tokens.output;
    const c = r.cost;
    this.inputTokens += input;
    this.outputTokens += output;
    this.full += c.full;
    this.vendor += c.vendor;
    this.infra += c.infra;
    this.ops += c.ops;
    if (r.cache?.hit) this.cacheHits++;
    if (r.outcome === 'error') this.errors++;
    const refused = r.outcome === 'refused';
    if (refused) {
      const code = r.error?.code ?? '';
      if (BUDGET_CODES.has(code)) this.refused.budget++;
      else if (code === 'rate_limited') this.refused.rateLimit++;
      else this.refused.other++;
    }
    if (r.chosen !== undefined) {
      for (const cand of r.candidates) {
        if (cand.model !== r.chosen) continue;
        this.predictedSum += cand.predictedQuality;
        this.predictedCount++;
        break;
      }
    }
    if (r.quality !== undefined) {
      this.observedSum += r.quality;
      this.observedCount++;
    }
    const model = r.model ?? '(none)';
    let m = this.byModel.get(model);
    if (!m) this.byModel.set(model, (m = newShare()));
    m.infraCostMicros += c.infra;
    if (r.model !== undefined) {
      let latency = r.latencyMs;
      const cap = this.capacity;
      if (cap?.active) {
        cap.observe(atMs);
        if (r.outcome === 'ok' && !r.cache?.hit) {
          const s = cap.serve(model, atMs, input, output, c.infra); // undefined: not a self-hosted model
          if (s) latency += s.queueMs + s.serviceMs;
        }
      }
      let h = this.latency.get(model);
      if (!h) this.latency.set(model, (h = new LatencyHistogram()));
      h.add(latency);
    } else this.capacity?.observe(atMs);
    m.requests++;
    m.inputTokens += input;
    m.outputTokens += output;
    m.fullCostMicros += c.full;
    m.vendorCostMicros += c.vendor;
    const tierKey = r.tier ?? '(none)';
    let t = this.byTier.get(tierKey);
    if (!t) this.byTier.set(tierKey, (t = { requests: 0, share: 0, fullCostMicros: 0 }));
    t.requests++;
    t.fullCostMicros += c.full;
    let ten = this.byTenant.get(r.tenant);
    if (!ten) this.byTenant.set(r.tenant, (ten = this.newTenant(r.tenant)));
    ten.requests++;
    ten.fullCostMicros += c.full;
    ten.vendorCostMicros += c.vendor;
    if (refused) ten.refused++;
    const start = atMs - (((atMs % this.bucketMs) + this.bucketMs) % this.bucketMs);
    let b = start === this.lastStart ? this.lastBucket : this.timeline.get(start);
    if (!b) this.timeline.set(start, (b = { requests: 0, full: 0, vendor: 0, tokens: 0 }));
    this.lastStart = start;
    this.lastBucket = b;
    b.requests++;
    b.full += c.full;
    b.vendor += c.vendor;
    b.tokens += input + output;
    if (this.samples.length < SAMPLE_DECISIONS) this.samples.push(r);
  }

  /** Counts a request the engine rejected before settling a record (it has no cost and no log line). */
  rejected(): void {
    this.errors++;
  }

  /** The report for this policy so far (shares computed against the requests counted). */
  result(name: string, version: string): PolicySimulation {
    const n = this.requests;
    const share = (k: number) => (n ? k / n : 0);
    const tokens = this.inputTokens + this.outputTokens;
    const extra = this.closeCapacity();
    const byModel: Record<string, ModelShare> = {};
    for (const [k, v] of sortByCost(this.byModel)) {
      const h = this.latency.get(k);
      byModel[k] = { ...v, share: share(v.requests), ...(h && h.count > 0 ? { latencyP50Ms: h.quantile(0.5), latencyP99Ms: h.quantile(0.99) } : {}) };
    }
    const byTier: Record<string, TierShare> = {};
    for (const [k, v] of sortByCost(this.byTier)) byTier[k] = { ...v, share: share(v.requests) };
    const byTenant: Record<string, TenantSpend> = {};
    for (const [k, v] of sortByCost(this.byTenant)) byTenant[k] = { ...v };
    const timeline: TimelinePoint[] = [...this.timeline.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([start, b]) => ({ start, requests: b.requests, fullCostMicros: b.full, vendorCostMicros: b.vendor, tokensPerRequest: b.requests ? b.tokens / b.requests : 0 }));
    return {
      name,
      version,
      requests: n,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      fullCostMicros: this.full + extra,
      vendorCostMicros: this.vendor,
      infraCostMicros: this.infra + extra,
      opsCostMicros: this.ops,
      idleCostMicros: this.idle,
      capacityTrueUpMicros: extra,
      ...(this.capacity?.active ? { capacityWindows: this.capacity.models().flatMap((m) => [...this.capacity!.trueUps(m)]) } : {}),
      fullPerMillionMicros: costPerMillion(this.full + extra, tokens),
      vendorPerMillionMicros: costPerMillion(this.vendor, tokens),
      byModel,
      byTier,
      byTenant,
      refused: { ...this.refused },
      errors: this.errors,
      quality: {
        predictedMean: this.predictedCount ? this.predictedSum / this.predictedCount : 0,
        ...(this.observedCount ? { observedMean: this.observedSum / this.observedCount } : {}),
      },
      cacheHitRatio: share(this.cacheHits),
      timeline,
      sampleDecisions: [...this.samples],
    };
  }

  private idle = 0;
  private extra = 0;

  /**
   * Closes the self-hosted fleets' last windows (once) and books each model's true-ups and idle line
   * into its `byModel` entry (created for a fleet that served nothing: it was provisioned all the same).
   * Returns what the windows add on top of the records (Σ true-up + idle lines), micro-dollars.
   */
  private closeCapacity(): number {
    const cap = this.capacity;
    if (!cap?.active) return 0;
    if (this.capacityDone) return this.extra;
    this.capacityDone = true;
    cap.finish();
    for (const model of cap.models()) {
      const rep = cap.report(model)!;
      let m = this.byModel.get(model);
      if (!m) this.byModel.set(model, (m = newShare()));
      const add = rep.trueUpMicros + rep.idleMicros;
      m.fullCostMicros += add;
      m.infraCostMicros += add;
      let economicIdle = 0;
      for (const w of cap.trueUps(model)) economicIdle += w.provisionedMicros - w.busyMicros;
      m.idleCostMicros = economicIdle;
      m.utilization = rep.utilization;
      m.capacity = rep;
      this.idle += economicIdle;
      this.extra += add;
    }
    return this.extra;
  }

  private newTenant(tenant: string): TenantSpend {
    const budget = this.budgets.get(tenant);
    const t: TenantSpend = { requests: 0, fullCostMicros: 0, vendorCostMicros: 0, refused: 0 };
    if (budget !== undefined) t.budgetMicros = budget;
    return t;
  }
}

const newShare = (): ModelShare => ({ requests: 0, inputTokens: 0, outputTokens: 0, fullCostMicros: 0, vendorCostMicros: 0, infraCostMicros: 0, idleCostMicros: 0, share: 0 });

function sortByCost<T extends { fullCostMicros: number }>(m: Map<string, T>): [string, T][] {
  return [...m.entries()].sort((a, b) => b[1].fullCostMicros - a[1].fullCostMicros || (a[0] < b[0] ? -1 : 1));
}
