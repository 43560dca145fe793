import { compileCapacity, type CompiledCapacity, gpuSecondsOf } from '../../engine/capacity.js';
import { type CapacityTrueUp, type CapacityWindowUsage, closeCapacityWindow } from '../../engine/capacity-cost.js';
import type { DecisionRecord } from '../../engine/decision-record.js';
import type { ModelSpec } from '../../policies/schema.js';

export interface CapacityLedgerOptions {
  /** The policy's models; every one with `capacity` or `infra` gets a fleet. */
  models: Pick<ModelSpec, 'id' | 'capacity' | 'infra'>[];
  /** Epoch ms provisioning starts (default: the first record's time). */
  startMs?: number;
  /**
   * Replicas running during [from, to) (default: the policy's `min`): give the autoscaler's or the
   * CapacityMonitor's count to book what was really provisioned.
   */
  replicas?: (model: string, fromMs: number, toMs: number) => number;
  /** Each closed window's true-up: the ledger entry (write it next to the decision log). */
  onTrueUp: (t: CapacityTrueUp) => void;
}

interface Fleet {
  cap: CompiledCapacity;
  window?: CapacityWindowUsage;
}

/**
 * The live side of the window attribution (docs/capacity.md): an engine observer
 * (`createTollgate({ observers: [ledger.observe] })`) that books each answered record of a self-hosted
 * model to its window (GPU-seconds from the record, or from its tokens for an `infra` model) and closes
 * windows as time passes — on a later record, or on {@link tick} from a timer — handing each window's
 * true-up (provisioned GPU-hours × price vs the records' provisional cost, and the idle line) to
 * `onTrueUp`. Records are never rewritten. Windows are the policy's (`windowMinutes`, epoch-aligned).
 */
export class CapacityLedger {
  private readonly fleets = new Map<string, Fleet>();
  private started: number | undefined;

  constructor(private readonly o: CapacityLedgerOptions) {
    for (const m of o.models) {
      const cap = compileCapacity(m);
      if (cap) this.fleets.set(m.id, { cap });
    }
    this.started = o.startMs;
    if (this.started !== undefined) for (const [id, f] of this.fleets) f.window = this.open(id, f, this.started);
  }

  /** The observer: books an answered, non-cached record of a self-hosted model. */
  readonly observe = (r: DecisionRecord): void => {
    const at = Date.parse(r.time);
    this.tick(at);
    const f = r.model !== undefined && r.outcome === 'ok' && !r.cache?.hit ? this.fleets.get(r.model) : undefined;
    if (!f) return;
    const w = f.window!;
    w.requests++;
    w.gpuSeconds += r.gpuSeconds ?? gpuSecondsOf(f.cap, r.tokens.input, r.tokens.output);
    w.provisionalMicros += r.cost.infra;
  };

  /** Closes every window that ended by `nowMs` (call it from a timer so idle hours are booked too). */
  tick(nowMs: number): void {
    if (this.started === undefined) {
      this.started = nowMs;
      for (const [id, f] of this.fleets) f.window = this.open(id, f, nowMs);
    }
    for (const [id, f] of this.fleets) {
      while (nowMs >= f.window!.end) {
        const end = f.window!.end;
        this.close(id, f);
        f.window = this.open(id, f, end);
      }
    }
  }

  /** Closes every open window at `nowMs` (shutdown): the last, partial window is booked too. */
  flush(nowMs: number): void {
    this.tick(nowMs);
    for (const [id, f] of this.fleets) {
      if (!f.window || nowMs <= f.window.start) continue;
      f.window.end = nowMs;
      this.close(id, f);
      f.window = this.open(id, f, nowMs);
    }
  }

  private open(_id: string, f: Fleet, t: number): CapacityWindowUsage {
    const w = f.cap.windowMs;
    return { model: _id, start: t, end: t - (((t % w) + w) % w) + w, provisionedGpuHours: 0, requests: 0, gpuSeconds: 0, provisionalMicros: 0 };
  }

  private close(id: string, f: Fleet): void {
    const w = f.window!;
    const replicas = this.o.replicas?.(id, w.start, w.end) ?? f.cap.minReplicas;
    w.provisionedGpuHours = (replicas * f.cap.gpusPerReplica * (w.end - w.start)) / 3_600_000;
    this.o.onTrueUp(closeCapacityWindow(f.cap, w));
  }
}
