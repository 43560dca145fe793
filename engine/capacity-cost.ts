import type { CompiledCapacity } from './capacity.js';

/**
 * Cost attribution from provisioned GPU-hours (docs/capacity.md). Pure functions over one window of one
 * self-hosted model: what the fleet cost in the window (its provisioned GPU-hours × price), how much
 * of that the window's requests carry and how much is idle, and the true-up that closing the window
 * writes to the ledger (the records' provisional infra cost is never rewritten).
 */

/** What a model's fleet did in one window. */
export interface CapacityWindowUsage {
  model: string;
  /** Window start and end, epoch ms (the end is exclusive; a trace's first and last windows may be partial). */
  start: number;
  end: number;
  /** GPU-hours provisioned in the window: ∫ replicas(t) dt × GPUs per replica. */
  provisionedGpuHours: number;
  /** Requests served in the window (by start of service). */
  requests: number;
  /** GPU-seconds those requests used (from the curve at the batch size each was served in). */
  gpuSeconds: number;
  /** Σ of their records' provisional `cost.infra`, micro-dollars. */
  provisionalMicros: number;
}

/** The ledger entry that closes a window. Micro-dollars are integers; `trueUpMicros` may be negative. */
export interface CapacityTrueUp extends CapacityWindowUsage {
  kind: 'capacity-true-up';
  idleCost: 'spread' | 'separate';
  /** Provisioned GPU-hours × price, rounded once per window. */
  provisionedMicros: number;
  /** The requests' GPU-seconds at the fleet's price, capped at `provisionedMicros`. */
  busyMicros: number;
  /** What the window's requests carry: all of it (`spread`) or their GPU-seconds' worth (`separate`). */
  allocatedMicros: number;
  /** The `idle` line: provisioned capacity no request used (0 under `spread` unless the window had no request). */
  idleMicros: number;
  /** allocated − provisional: what the ledger adds to the window's requests on top of their records. */
  trueUpMicros: number;
  /** Busy GPU-time ÷ provisioned GPU-time, 0–1. */
  utilization: number;
}

/**
 * Closes one window: provisioned cost `P = round(GPU-hours × $/GPU-hour)`; the requests' busy cost
 * `B = min(P, round(GPU-seconds × $/GPU-second))`. `spread`: the requests carry `P` (in proportion to
 * their GPU-seconds, see {@link allocateToRequest}), no idle line, unless the window served nothing
 * (then `P` is idle). `separate`: the requests carry `B` and `P − B` is the model's idle line.
 * Either way allocated + idle = P exactly.
 */
export function closeCapacityWindow(cap: Pick<CompiledCapacity, 'gpuHourlyMicros' | 'idleCost'>, usage: CapacityWindowUsage): CapacityTrueUp {
  const provisionedMicros = Math.round(usage.provisionedGpuHours * cap.gpuHourlyMicros);
  const busy = Math.min(provisionedMicros, Math.round((usage.gpuSeconds * cap.gpuHourlyMicros) / 3600));
  const allocatedMicros = usage.requests === 0 ? 0 : cap.idleCost === 'spread' ? provisionedMicros : busy;
  const idleMicros = provisionedMicros - allocatedMicros;
  const provisionedSeconds = usage.provisionedGpuHours * 3600;
  return {
    kind: 'capacity-true-up',
    ...usage,
    idleCost: cap.idleCost,
    provisionedMicros,
    busyMicros: busy,
    allocatedMicros,
    idleMicros,
    trueUpMicros: allocatedMicros - usage.provisionalMicros,
    utilization: provisionedSeconds > 0 ? Math.min(1, usage.gpuSeconds / provisionedSeconds) : 0,
  };
}

/** One request's share of a closed window: the window's allocated cost × its share of the GPU-seconds (unrounded). */
export function allocateToRequest(window: Pick<CapacityTrueUp, 'allocatedMicros' | 'gpuSeconds'>, gpuSeconds: number): number {
  return window.gpuSeconds > 0 ? (window.allocatedMicros * gpuSeconds) / window.gpuSeconds : 0;
}

/**
 * The request rate (per hour) above which a fleet of `fleetHourlyMicros` is cheaper than sending the
 * same requests to a vendor model that charges `vendorMicrosPerRequest` each; `undefined` when the
 * vendor request is free.
 */
export function breakEvenRequestsPerHour(fleetHourlyMicros: number, vendorMicrosPerRequest: number): number | undefined {
  return vendorMicrosPerRequest > 0 ? fleetHourlyMicros / vendorMicrosPerRequest : undefined;
}
