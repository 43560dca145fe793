import type { ModelSpec } from '../policies/schema.js';

/**
 * A self-hosted model's fleet and throughput curve, compiled from the policy's `capacity` (or from the
 * legacy `infra`, read as a one-point curve). Pure data and pure functions: the engine uses it for a
 * record's GPU-seconds and provisional infra cost, the simulator for its queue model and the window
 * cost attribution (engine/capacity-cost.ts).
 */
export interface CompiledCapacity {
  gpusPerReplica: number;
  /** Price of one GPU-hour, micro-dollars. */
  gpuHourlyMicros: number;
  minReplicas: number;
  maxReplicas: number;
  /** Autoscaled (`min < max`) or fixed. */
  autoscaled: boolean;
  scaleUpQueue: number;
  scaleDownIdleMs: number;
  /** Batch sizes of the curve, strictly increasing. */
  batches: number[];
  /** Aggregate prefill tokens/s per replica at each batch size. */
  prefill: number[];
  /** Aggregate decode tokens/s per replica at each batch size. */
  decode: number[];
  /** The largest batch on the curve: the replica's concurrency (requests beyond it queue). */
  maxBatch: number;
  windowMs: number;
  idleCost: 'spread' | 'separate';
  /** `capacity` (declared) or `infra` (the one-point curve of `infra.tokensPerSecond`). */
  source: 'capacity' | 'infra';
}

/**
 * The model's compiled capacity, or `undefined` for a model with neither `capacity` nor `infra`.
 *
 * `infra: { gpuHourlyUsd, gpus, tokensPerSecond }` is read as one replica of `gpus` GPUs, always on,
 * serving one request at a time (batch 1) at `tokensPerSecond` for prompt and output tokens alike,
 * with hourly windows and idle capacity booked to a separate line. Its provisional per-request cost is
 * therefore exactly the old per-token price (GPU-hours per token × $/GPU-hour).
 */
export function compileCapacity(spec: Pick<ModelSpec, 'capacity' | 'infra'>): CompiledCapacity | undefined {
  const c = spec.capacity;
  if (c) {
    const r = typeof c.replicas === 'number' ? { min: c.replicas, max: c.replicas, scaleUpQueue: 1, scaleDownIdleMinutes: 10 } : c.replicas;
    return {
      gpusPerReplica: c.gpusPerReplica,
      gpuHourlyMicros: Math.round(c.gpuHourlyUsd * 1_000_000),
      minReplicas: r.min,
      maxReplicas: r.max,
      autoscaled: r.min < r.max,
      scaleUpQueue: r.scaleUpQueue,
      scaleDownIdleMs: r.scaleDownIdleMinutes * 60_000,
      batches: c.throughput.map((p) => p.batch),
      prefill: c.throughput.map((p) => p.prefillTokensPerSecond),
      decode: c.throughput.map((p) => p.decodeTokensPerSecond),
      maxBatch: c.throughput[c.throughput.length - 1]!.batch,
      windowMs: c.windowMinutes * 60_000,
      idleCost: c.idleCost,
      source: 'capacity',
    };
  }
  const i = spec.infra;
  if (!i) return undefined;
  return {
    gpusPerReplica: i.gpus,
    gpuHourlyMicros: Math.round(i.gpuHourlyUsd * 1_000_000),
    minReplicas: 1,
    maxReplicas: 1,
    autoscaled: false,
    scaleUpQueue: 1,
    scaleDownIdleMs: 600_000,
    batches: [1],
    prefill: [i.tokensPerSecond],
    decode: [i.tokensPerSecond],
    maxBatch: 1,
    windowMs: 3_600_000,
    idleCost: 'separate',
    source: 'infra',
  };
}

/**
 * Aggregate prefill and decode tokens/s of one replica with `batch` requests in flight: linear between
 * the curve's points, the first point below it and the last above it (a replica never runs a batch
 * larger than `maxBatch`: the rest queue).
 */
export function throughputAt(cap: CompiledCapacity, batch: number): { prefill: number; decode: number } {
  const b = cap.batches;
  const n = b.length;
  if (batch <= b[0]!) return { prefill: cap.prefill[0]!, decode: cap.decode[0]! };
  if (batch >= b[n - 1]!) return { prefill: cap.prefill[n - 1]!, decode: cap.decode[n - 1]! };
  let i = 1;
  while (b[i]! < batch) i++;
  const t = (batch - b[i - 1]!) / (b[i]! - b[i - 1]!);
  return {
    prefill: cap.prefill[i - 1]! + t * (cap.prefill[i]! - cap.prefill[i - 1]!),
    decode: cap.decode[i - 1]! + t * (cap.decode[i]! - cap.decode[i - 1]!),
  };
}

/**
 * GPU-seconds one request uses when served in a batch of `batch`: its share of the replica's time
 * (prompt tokens at the aggregate prefill rate + output tokens at the aggregate decode rate) × the
 * replica's GPUs. Default batch: the curve's largest, i.e. the fleet at its most efficient.
 */
export function gpuSecondsOf(cap: CompiledCapacity, inputTokens: number, outputTokens: number, batch = cap.maxBatch): number {
  const t = throughputAt(cap, batch);
  return cap.gpusPerReplica * (inputTokens / t.prefill + outputTokens / t.decode);
}

/**
 * Wall-clock service time (ms) of one request in a batch of `batch`: every request in flight shares
 * the replica's aggregate rates, so each gets `1/batch` of them.
 */
export function serviceMsOf(cap: CompiledCapacity, inputTokens: number, outputTokens: number, batch: number): number {
  const b = Math.max(1, Math.min(batch, cap.maxBatch));
  const t = throughputAt(cap, b);
  return 1000 * b * (inputTokens / t.prefill + outputTokens / t.decode);
}

/** Micro-dollars of `gpuSeconds` GPU-seconds at the fleet's price (unrounded). */
export function gpuSecondsMicros(cap: CompiledCapacity, gpuSeconds: number): number {
  return (gpuSeconds * cap.gpuHourlyMicros) / 3600;
}

/** A self-hosted model's predicted service time for one request (no queue: `explain` and `decide()`). */
export interface ServiceEstimate {
  model: string;
  /** Alone on a replica (batch 1), ms. */
  aloneMs: number;
  /** In a full batch of `maxBatch`, ms: the slowest a replica serves it without queueing. */
  fullBatchMs: number;
  maxBatch: number;
}

/**
 * The range of service time a request of `inputTokens` + `outputTokens` sees on a self-hosted fleet: alone
 * (batch 1) and in a full batch. Queueing comes on top when the fleet is full (the simulation's queue
 * model measures that). Pure.
 */
export function serviceEstimate(model: string, cap: CompiledCapacity, inputTokens: number, outputTokens: number): ServiceEstimate {
  const round1 = (x: number): number => Math.round(x * 10) / 10;
  return { model, aloneMs: round1(serviceMsOf(cap, inputTokens, outputTokens, 1)), fullBatchMs: round1(serviceMsOf(cap, inputTokens, outputTokens, cap.maxBatch)), maxBatch: cap.maxBatch };
}
