import { loadPolicy, type LoadedPolicy, resolvePolicy, ValidationError } from '../../index.js';
import { simulatePolicies } from './simulate-policies.js';
import type { SimulateOptions } from './types.js';

/** One batch-size cap of a self-hosted model, simulated over the whole trace. Money in integer micro-dollars. */
export interface BatchTradeoffRow {
  /** The largest batch the serving engine runs (the curve cut at this point). */
  maxBatch: number;
  /** Requests the model served, and their share of the policy's traffic (the router sees the curve's price too). */
  requests: number;
  share: number;
  /** The whole policy's full cost over the trace at this cap (vendor models included). */
  policyFullCostMicros: number;
  /** Provisioned GPU-hours × price over the trace's span, idle time included. */
  infraCostMicros: number;
  idleCostMicros: number;
  /** Busy ÷ provisioned GPU-hours, 0–1. */
  utilization: number;
  provisionedGpuHours: number;
  peakReplicas: number;
  /** Infra cost per 1M tokens served (provisioned, idle included). */
  infraPerMillionMicros: number;
  /**
   * The GPU time requests really used per 1M tokens, priced (busy GPU-hours × price ÷ tokens): each
   * request's share of its replica at the batch it joined, so what a fleet that is never idle would
   * pay. Larger batches lower it when the traffic fills them.
   */
  busyPerMillionMicros: number;
  /** Queue + service, and queue alone (ms). */
  latencyP50Ms: number;
  latencyP99Ms: number;
  queueP99Ms: number;
}

/** The batch-size sweep of one self-hosted model of one policy. */
export interface BatchTradeoff {
  policy: string;
  model: string;
  /** One row per point of the model's throughput curve, smallest batch first. */
  rows: BatchTradeoffRow[];
}

export interface BatchTradeoffOptions {
  /** The policy (file path or loaded). */
  policy: string | LoadedPolicy;
  /** Trace file (or rows), as {@link simulatePolicies} takes it. */
  trace: SimulateOptions['trace'];
  /** Self-hosted model ids to sweep; default every model with a `capacity` curve of more than one point. */
  models?: string[];
  seed?: number;
  signal?: AbortSignal;
  traceOptions?: SimulateOptions['traceOptions'];
}

/**
 * The batching trade-off of self-hosted models (docs/capacity.md, "Batch size"): for each point of a
 * model's throughput curve, the policy is replayed with the curve cut there (the serving engine's
 * `max_num_seqs` set to that batch), with the queue and autoscaler on — one `simulatePolicies` run
 * over all variants, reading the trace once. Larger batches raise aggregate throughput (cheaper
 * tokens; fewer replicas when autoscaled) and slow each request down once batches fill (longer
 * answers), while small caps make requests queue; the rows show both. The router prices the
 * self-hosted model from its curve, so a cap can also move traffic to or from vendor models
 * (`share`, `policyFullCostMicros`).
 *
 * Throws `ValidationError` (path `models`) for a named model that is not in the policy or has no
 * `capacity` curve, and whatever {@link simulatePolicies} throws.
 */
export async function batchSizeTradeoff(o: BatchTradeoffOptions): Promise<BatchTradeoff[]> {
  const loaded = typeof o.policy === 'string' ? await loadPolicy(o.policy) : o.policy;
  const policy = loaded.policy;
  const swept = o.models ?? policy.models.filter((m) => (m.capacity?.throughput.length ?? 0) > 1).map((m) => m.id);
  const variants: { model: string; maxBatch: number; policy: LoadedPolicy }[] = [];
  for (const [i, id] of swept.entries()) {
    const model = policy.models.find((m) => m.id === id);
    if (!model?.capacity) {
      throw new ValidationError('batch trade-off', [{ path: `models.${i}`, message: model ? `model "${id}" has no capacity curve (declare capacity.throughput)` : `no model "${id}" in policy "${policy.name}"` }]);
    }
    for (const point of model.capacity.throughput) {
      const raw = structuredClone(policy);
      raw.name = `${policy.name} · ${id} @ batch ${point.batch}`;
      const m = raw.models.find((x) => x.id === id)!;
      m.capacity!.throughput = m.capacity!.throughput.filter((p) => p.batch <= point.batch);
      variants.push({ model: id, maxBatch: point.batch, policy: resolvePolicy(raw) });
    }
  }
  if (variants.length === 0) return [];
  const report = await simulatePolicies({
    policies: variants.map((v) => v.policy),
    trace: o.trace,
    seed: o.seed,
    signal: o.signal,
    traceOptions: o.traceOptions,
    queueModel: true,
  });
  const out: BatchTradeoff[] = [];
  for (const [i, v] of variants.entries()) {
    const sim = report.policies[i]!;
    const share = sim.byModel[v.model];
    const cap = share?.capacity;
    const tokens = (share?.inputTokens ?? 0) + (share?.outputTokens ?? 0);
    const row: BatchTradeoffRow = {
      maxBatch: v.maxBatch,
      requests: share?.requests ?? 0,
      share: share?.share ?? 0,
      policyFullCostMicros: sim.fullCostMicros,
      infraCostMicros: share?.infraCostMicros ?? 0,
      idleCostMicros: share?.idleCostMicros ?? 0,
      utilization: cap?.utilization ?? 0,
      provisionedGpuHours: cap?.provisionedGpuHours ?? 0,
      peakReplicas: cap?.peakReplicas ?? 0,
      infraPerMillionMicros: cap?.infraPerMillionMicros ?? 0,
      busyPerMillionMicros: tokens > 0 && cap ? Math.round(((cap.busyGpuHours * (cap.provisionedMicros / Math.max(cap.provisionedGpuHours, 1e-12))) / tokens) * 1e6) : 0,
      latencyP50Ms: share?.latencyP50Ms ?? 0,
      latencyP99Ms: share?.latencyP99Ms ?? 0,
      queueP99Ms: cap?.queueP99Ms ?? 0,
    };
    let entry = out.find((e) => e.model === v.model);
    if (!entry) out.push((entry = { policy: policy.name, model: v.model, rows: [] }));
    entry.rows.push(row);
  }
  return out;
}
