/** Spend of one UTC day (integer micro-dollars), the unit of the executive view's trend. */
export interface DaySpend {
  day: string;
  requests: number;
  fullCostMicros: number;
  vendorCostMicros: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Accumulates spend by UTC day from records or timeline buckets (sums integers only). */
export class DailySpend {
  private readonly days = new Map<number, DaySpend>();
  /** Full spend by hour index (epoch hours), for trailing windows. */
  readonly hours = new Map<number, number>();
  /** Earliest time seen (epoch ms), or Infinity. */
  earliestMs = Infinity;
  /** Latest time seen (epoch ms), or -Infinity. */
  latestMs = -Infinity;

  add(timeMs: number, requests: number, fullMicros: number, vendorMicros: number): void {
    if (!Number.isFinite(timeMs)) return;
    const key = Math.floor(timeMs / DAY_MS);
    let d = this.days.get(key);
    if (!d) {
      d = { day: new Date(key * DAY_MS).toISOString().slice(0, 10), requests: 0, fullCostMicros: 0, vendorCostMicros: 0 };
      this.days.set(key, d);
    }
    d.requests += requests;
    d.fullCostMicros += fullMicros;
    d.vendorCostMicros += vendorMicros;
    const hour = Math.floor(timeMs / HOUR_MS);
    this.hours.set(hour, (this.hours.get(hour) ?? 0) + fullMicros);
    if (timeMs > this.latestMs) this.latestMs = timeMs;
    if (timeMs < this.earliestMs) this.earliestMs = timeMs;
  }

  /** Full spend in the whole hours `[fromHour, toHour)`. */
  spendInHours(fromHour: number, toHour: number): number {
    let total = 0;
    for (const [h, v] of this.hours) if (h >= fromHour && h < toHour) total += v;
    return total;
  }

  /** Days in time order, with empty days between the first and the last filled in. */
  list(): DaySpend[] {
    const keys = [...this.days.keys()].sort((a, b) => a - b);
    if (keys.length === 0) return [];
    const out: DaySpend[] = [];
    for (let k = keys[0]!; k <= keys[keys.length - 1]!; k++) {
      out.push(this.days.get(k) ?? { day: new Date(k * DAY_MS).toISOString().slice(0, 10), requests: 0, fullCostMicros: 0, vendorCostMicros: 0 });
    }
    return out;
  }
}

/** Epoch ms of a timeline bucket start given as ms or an ISO string. */
export function toMs(t: number | string): number {
  return typeof t === 'number' ? t : Date.parse(t);
}
