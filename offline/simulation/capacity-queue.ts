import { type CapacityTrueUp, type CapacityWindowUsage, closeCapacityWindow, type CompiledCapacity, gpuSecondsOf, serviceMsOf } from '../../index.js';
import { MinHeap } from './capacity-latency.js';

/** How one request was served by a self-hosted fleet in the simulation. */
export interface FleetService {
  /** Time spent waiting for a free slot, ms (0 when a replica had room). */
  queueMs: number;
  /** Time being served at the batch size it joined, ms. */
  serviceMs: number;
  /** Requests in flight on its replica when it started, itself included. */
  batch: number;
  /** GPU-seconds it used at that batch size. */
  gpuSeconds: number;
}

/**
 * One self-hosted model's fleet in a trace replay (docs/capacity.md, "Simulation"): a first-come
 * first-served queue in front of `replicas × maxBatch` slots. A request starts when a slot is free,
 * joins the batch of requests in flight on its replica (the fleet's load spread evenly) and is served
 * at the curve's per-request rate for that batch size (prefill tokens at `prefill(b)/b`, output at
 * `decode(b)/b`); its GPU-seconds are its share of the replica's time at that batch size.
 *
 * Autoscaling (`replicas: { min, max, … }`): a replica is added, at once, when a request arrives to
 * find the fleet full with `scaleUpQueue` requests waiting (itself included); one is removed after
 * `scaleDownIdleMinutes` in which the fleet never needed all its replicas, down to `min`.
 *
 * Provisioned GPU-hours are integrated over time and cut into windows (`windowMinutes`, aligned to
 * the epoch, the first and last clipped to the trace's span); each closed window is handed to
 * `onClose` as its true-up ({@link closeCapacityWindow}). Requests are booked to the window they
 * arrived in. With `queueModel` off, nothing queues or scales: the fleet stays at `min` replicas and
 * every request is served at once at the curve's best throughput (its provisional GPU-seconds).
 *
 * Arrivals must come in time order (an earlier one is taken as arriving now). Memory: the slots in
 * use and the requests waiting, never the trace.
 */
export class FleetQueue {
  private replicas: number;
  private readonly inflight = new MinHeap();
  private readonly waiting = new MinHeap();
  private lastArrival = -Infinity;
  private lastStart = -Infinity;
  private lastNeeded = -Infinity;
  private lastCompletion = -Infinity;
  /** Provisioned time is integrated up to here. */
  private t = NaN;
  private win: CapacityWindowUsage | undefined;
  peakReplicas: number;

  constructor(
    readonly model: string,
    readonly cap: CompiledCapacity,
    private readonly queueModel: boolean,
    private readonly onClose: (w: CapacityTrueUp) => void,
  ) {
    this.replicas = cap.minReplicas;
    this.peakReplicas = this.replicas;
  }

  /** Starts provisioning at `t` (the trace's first request). */
  begin(t: number): void {
    this.t = t;
    this.lastNeeded = t;
    this.win = this.openWindow(t);
  }

  get started(): boolean {
    return this.win !== undefined;
  }

  /** Serves one request arriving at `arrivalMs`, booking `provisionalMicros` (its record's infra cost) to the window. */
  serve(arrivalMs: number, inputTokens: number, outputTokens: number, provisionalMicros: number): FleetService {
    if (!this.win) this.begin(arrivalMs);
    const a = Math.max(arrivalMs, this.lastArrival);
    this.lastArrival = a;
    const cap = this.cap;
    let service: FleetService;
    if (!this.queueModel) {
      this.advance(a);
      const gpuSeconds = gpuSecondsOf(cap, inputTokens, outputTokens);
      service = { queueMs: 0, serviceMs: serviceMsOf(cap, inputTokens, outputTokens, cap.maxBatch), batch: cap.maxBatch, gpuSeconds };
    } else {
      this.scaleDownUntil(a);
      this.advance(a);
      this.inflight.dropUpTo(a);
      this.waiting.dropUpTo(a);
      let s = Math.max(a, this.lastStart);
      this.inflight.dropUpTo(s);
      if (this.inflight.size >= this.replicas * cap.maxBatch) {
        // One replica at a time: it brings `maxBatch` free slots, so the arriving request starts at once.
        if (this.replicas < cap.maxReplicas && this.waiting.size + 1 >= cap.scaleUpQueue) this.setReplicas(this.replicas + 1);
        while (this.inflight.size >= this.replicas * cap.maxBatch) {
          s = this.inflight.pop()!;
          this.inflight.dropUpTo(s);
        }
      }
      if (s > a) this.waiting.push(s);
      const count = this.inflight.size + 1;
      if (count > (this.replicas - 1) * cap.maxBatch) this.lastNeeded = Math.max(this.lastNeeded, s);
      const batch = Math.ceil(count / this.replicas);
      const serviceMs = serviceMsOf(cap, inputTokens, outputTokens, batch);
      const gpuSeconds = gpuSecondsOf(cap, inputTokens, outputTokens, batch);
      this.inflight.push(s + serviceMs);
      this.lastStart = s;
      service = { queueMs: s - a, serviceMs, batch, gpuSeconds };
    }
    this.lastCompletion = Math.max(this.lastCompletion, a + service.queueMs + service.serviceMs);
    const w = this.win!;
    w.requests++;
    w.gpuSeconds += service.gpuSeconds;
    w.provisionalMicros += provisionalMicros;
    return service;
  }

  /**
   * Ends the span at `endMs` (or at the last request's completion when later): integrates the fleet
   * up to it and closes the last window. A fleet never started begins at `beginMs`.
   */
  finish(beginMs: number, endMs: number): void {
    if (!this.win) this.begin(beginMs);
    const end = Math.max(endMs, this.lastCompletion);
    if (this.queueModel) this.scaleDownUntil(end);
    this.advance(end);
    this.closeWindow();
  }

  /** Removes idle replicas whose idle period ended by `t`, integrating up to each removal. */
  private scaleDownUntil(t: number): void {
    const cap = this.cap;
    while (this.replicas > cap.minReplicas && t - this.lastNeeded >= cap.scaleDownIdleMs) {
      const at = Math.max(this.t, this.lastNeeded + cap.scaleDownIdleMs);
      this.advance(at);
      this.setReplicas(this.replicas - 1);
      this.lastNeeded = at;
    }
  }

  private setReplicas(n: number): void {
    this.replicas = n;
    if (n > this.peakReplicas) this.peakReplicas = n;
  }

  /** Integrates provisioned GPU-time from the last point to `to`, closing every window it passes. */
  private advance(to: number): void {
    if (!(to > this.t)) return;
    const gpus = this.replicas * this.cap.gpusPerReplica;
    while (to >= this.win!.end) {
      this.win!.provisionedGpuHours += (gpus * (this.win!.end - this.t)) / 3_600_000;
      this.t = this.win!.end;
      this.closeWindow();
      this.win = this.openWindow(this.t);
    }
    this.win!.provisionedGpuHours += (gpus * (to - this.t)) / 3_600_000;
    this.t = to;
  }

  private openWindow(t: number): CapacityWindowUsage {
    const w = this.cap.windowMs;
    const start = t - (((t % w) + w) % w);
    return { model: this.model, start: t, end: start + w, provisionedGpuHours: 0, requests: 0, gpuSeconds: 0, provisionalMicros: 0 };
  }

  private closeWindow(): void {
    const w = this.win!;
    if (w.end > this.t) w.end = this.t; // the span's last window ends with the span
    if (w.end > w.start || w.requests > 0) this.onClose(closeCapacityWindow(this.cap, w));
  }
}
