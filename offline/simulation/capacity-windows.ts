import { breakEvenRequestsPerHour, type CapacityTrueUp, type CompiledCapacity, compileCapacity, type CompiledPolicy, fullCost, gpuSecondsOf } from '../../index.js';
import { LatencyHistogram } from './capacity-latency.js';
import { FleetQueue, type FleetService } from './capacity-queue.js';

/** A self-hosted model's capacity figures in a simulation report (money in integer micro-dollars). */
export interface ModelCapacityReport {
  /** `capacity` (declared fleet and curve) or `infra` (the one-point curve). */
  source: 'capacity' | 'infra';
  idleCost: 'spread' | 'separate';
  /** GPU-hours provisioned over the trace's span, and the share of them requests used (0–1). */
  provisionedGpuHours: number;
  busyGpuHours: number;
  utilization: number;
  /** Provisioned GPU-hours × price: what the fleet cost, idle time included (= allocated + idle). */
  provisionedMicros: number;
  /** Σ of the records' provisional infra cost. */
  provisionalMicros: number;
  /** Σ of the windows' true-ups (provisioned − idle line − provisional). */
  trueUpMicros: number;
  /** The model's `idle` line (0 under `idleCost: spread` unless a window served nothing). */
  idleMicros: number;
  /** Provisioned GPU-hours per 1M tokens served (seed metric M7), and infra cost per 1M tokens. */
  gpuHoursPerMillion: number;
  infraPerMillionMicros: number;
  windows: number;
  minReplicas: number;
  peakReplicas: number;
  /** Queue wait p50/p99 (ms); service time is in the model's latency. */
  queueP50Ms: number;
  queueP99Ms: number;
  /**
   * The cheapest vendor model of at least this model's quality, what this model's mean request would
   * cost there, and the request rate above which the fleet (at `min` replicas) is the cheaper choice.
   */
  breakEven?: {
    vendorModel: string;
    vendorMicrosPerRequest: number;
    requestsPerHour?: number;
    observedRequestsPerHour: number;
    /** Most mean requests per hour the fleet serves at `max` replicas and the curve's best throughput: a break-even above it is out of reach. */
    capacityRequestsPerHour: number;
  };
}

interface Fleet {
  queue: FleetQueue;
  trueUps: CapacityTrueUp[];
  queueHist: LatencyHistogram;
  input: number;
  output: number;
  requests: number;
}

/**
 * The capacity side of one policy's simulation: a {@link FleetQueue} per self-hosted model (every
 * model with `capacity` or `infra`, served or not: an unused fleet is all idle), the windows' true-ups,
 * and per-model latency. The span is the trace's: from its first request to its last (or to the last
 * self-hosted completion). `trueUps` keeps every closed window (one per model per window: a 40-hour
 * trace at hourly windows is 40 per model).
 */
export class CapacityTracker {
  private readonly fleets = new Map<string, Fleet>();
  private first = Infinity;
  private last = -Infinity;

  constructor(
    private readonly policy: CompiledPolicy,
    options: { queueModel?: boolean; onTrueUp?: (t: CapacityTrueUp) => void } = {},
  ) {
    for (const m of policy.models) {
      const cap = m.basis.capacity ?? compileInfra(m);
      if (!cap) continue;
      const trueUps: CapacityTrueUp[] = [];
      const queue = new FleetQueue(m.id, cap, options.queueModel ?? true, (t) => {
        trueUps.push(t);
        options.onTrueUp?.(t);
      });
      this.fleets.set(m.id, { queue, trueUps, queueHist: new LatencyHistogram(), input: 0, output: 0, requests: 0 });
    }
  }

  /** Whether the policy has any self-hosted model. */
  get active(): boolean {
    return this.fleets.size > 0;
  }

  has(model: string): boolean {
    return this.fleets.has(model);
  }

  /** Notes a trace request at `atMs` (every record, whichever model): the span is the trace's. */
  observe(atMs: number): void {
    if (atMs < this.first) {
      this.first = atMs;
      for (const f of this.fleets.values()) if (!f.queue.started) f.queue.begin(atMs);
    }
    if (atMs > this.last) this.last = atMs;
  }

  /**
   * Serves one answered request of a self-hosted model (not a cache hit) and returns how (queue + service
   * ms: its latency). Call {@link observe} for the request first, as for every record.
   */
  serve(model: string, atMs: number, inputTokens: number, outputTokens: number, provisionalMicros: number): FleetService | undefined {
    const f = this.fleets.get(model);
    if (!f) return undefined;
    const s = f.queue.serve(atMs, inputTokens, outputTokens, provisionalMicros);
    f.queueHist.add(s.queueMs);
    f.input += inputTokens;
    f.output += outputTokens;
    f.requests++;
    return s;
  }

  /** Closes every fleet's last window at the end of the span; call once. */
  finish(): void {
    const begin = Number.isFinite(this.first) ? this.first : 0;
    const end = Number.isFinite(this.last) ? this.last : begin;
    for (const f of this.fleets.values()) f.queue.finish(begin, end);
  }

  /** The closed windows of a model (after {@link finish}: all of them). */
  trueUps(model: string): readonly CapacityTrueUp[] {
    return this.fleets.get(model)?.trueUps ?? [];
  }

  models(): string[] {
    return [...this.fleets.keys()];
  }


  /** One model's figures (after {@link finish}). */
  report(model: string): ModelCapacityReport | undefined {
    const f = this.fleets.get(model);
    if (!f) return undefined;
    const cap = f.queue.cap;
    let prov = 0, busySec = 0, provMicros = 0, provisional = 0, trueUp = 0, idle = 0;
    for (const w of f.trueUps) {
      prov += w.provisionedGpuHours;
      busySec += w.gpuSeconds;
      provMicros += w.provisionedMicros;
      provisional += w.provisionalMicros;
      trueUp += w.trueUpMicros;
      idle += w.idleMicros;
    }
    const tokens = f.input + f.output;
    const busyGpuHours = busySec / 3600;
    const spanHours = Number.isFinite(this.first) ? Math.max(0, this.last - this.first) / 3_600_000 : 0;
    const out: ModelCapacityReport = {
      source: cap.source,
      idleCost: cap.idleCost,
      provisionedGpuHours: prov,
      busyGpuHours,
      utilization: prov > 0 ? Math.min(1, busyGpuHours / prov) : 0,
      provisionedMicros: provMicros,
      provisionalMicros: provisional,
      trueUpMicros: trueUp,
      idleMicros: idle,
      gpuHoursPerMillion: tokens > 0 ? (prov * 1_000_000) / tokens : 0,
      infraPerMillionMicros: tokens > 0 ? Math.round((provMicros * 1_000_000) / tokens) : 0,
      windows: f.trueUps.length,
      minReplicas: cap.minReplicas,
      peakReplicas: f.queue.peakReplicas,
      queueP50Ms: f.queueHist.quantile(0.5),
      queueP99Ms: f.queueHist.quantile(0.99),
    };
    const be = this.breakEven(model, f, spanHours);
    if (be) out.breakEven = be;
    return out;
  }

  private breakEven(model: string, f: Fleet, spanHours: number): ModelCapacityReport['breakEven'] {
    const self = this.policy.byId.get(model);
    if (!self || f.requests === 0) return undefined;
    const usage = { inputTokens: Math.round(f.input / f.requests), outputTokens: Math.round(f.output / f.requests), cachedInputTokens: 0 };
    let best: { id: string; micros: number } | undefined;
    for (const v of this.policy.models) {
      if (v.tier !== 'vendor' || v.spec.quality < self.spec.quality) continue;
      const micros = fullCost(v.basis, usage).full;
      if (!best || micros < best.micros) best = { id: v.id, micros };
    }
    if (!best) return undefined;
    const cap = f.queue.cap;
    const fleetHourly = cap.minReplicas * cap.gpusPerReplica * cap.gpuHourlyMicros;
    const rate = breakEvenRequestsPerHour(fleetHourly, best.micros);
    return {
      vendorModel: best.id,
      vendorMicrosPerRequest: best.micros,
      ...(rate !== undefined ? { requestsPerHour: Math.round(rate * 10) / 10 } : {}),
      observedRequestsPerHour: spanHours > 0 ? Math.round((f.requests / spanHours) * 10) / 10 : f.requests,
      capacityRequestsPerHour: Math.round(((cap.maxReplicas * cap.gpusPerReplica * 3600) / gpuSecondsOf(cap, usage.inputTokens, usage.outputTokens)) * 10) / 10,
    };
  }
}

/** A model with `infra` only (no declared capacity): its one-point curve. */
function compileInfra(m: CompiledPolicy['models'][number]): CompiledCapacity | undefined {
  return m.spec.infra ? compileCapacity(m.spec) : undefined;
}
