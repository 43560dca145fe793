/**
 * Pure budget-window arithmetic shared by every BudgetStore (in-process and Redis), so that both
 * count spend into exactly the same buckets.
 *
 * - Calendar windows (`day`, `month`) are UTC periods. All spend reserved inside a period is counted
 *   in one bucket (index 0) under a storage key that names the period (`2025-01-15`, `2025-01`).
 * - Rolling windows (`rolling-hour`, `rolling-day`) are sliding sums over fixed buckets: 60 buckets of
 *   1 minute for an hour, 144 buckets of 10 minutes for a day. The window at time `t` is the bucket
 *   holding `t` plus the `count − 1` buckets before it, so it covers between `(count − 1) × bucketMs`
 *   and `count × bucketMs` of history (at most one bucket of slack).
 * - A reservation is charged to the bucket of its reserve time, and settled/refunded in that same
 *   bucket, so a settle never moves spend across windows.
 */

export type BudgetWindow = 'day' | 'month' | 'rolling-hour' | 'rolling-day';

export const BUDGET_WINDOWS: readonly BudgetWindow[] = ['day', 'month', 'rolling-hour', 'rolling-day'];

/** How long a calendar bucket outlives its period, so that late settles still find it. */
export const CALENDAR_GRACE_MS = 24 * 3_600_000;

const ROLLING: Record<'rolling-hour' | 'rolling-day', { bucketMs: number; count: number }> = {
  'rolling-hour': { bucketMs: 60_000, count: 60 },
  'rolling-day': { bucketMs: 600_000, count: 144 },
};

/** Where spend at one instant is counted, and which buckets are still inside the window. */
export interface WindowBucket {
  window: BudgetWindow;
  /** Period part of the storage key: `2025-01-15` (day), `2025-01` (month) or `rolling`. */
  period: string;
  /** Bucket index that `now` falls in (always 0 for calendar windows). */
  index: number;
  /** Oldest bucket index still inside the window; buckets below it are stale and may be dropped. */
  minIndex: number;
  /** Absolute epoch ms after which the storage for this bucket may be dropped. */
  expireAt: number;
  /** Calendar: when the period ends. Rolling: when the current bucket ends. */
  windowEnd: number;
}

export function isRolling(window: BudgetWindow): window is 'rolling-hour' | 'rolling-day' {
  return window === 'rolling-hour' || window === 'rolling-day';
}

/** Bucket size and count of a rolling window. */
export function rollingShape(window: 'rolling-hour' | 'rolling-day'): { bucketMs: number; count: number } {
  return ROLLING[window];
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Start and end (exclusive) of the UTC calendar period containing `nowMs`. The last period of each
 * window is kept (frozen, shared by callers): every reservation asks, and runs of them fall in one day.
 */
export function calendarPeriod(window: 'day' | 'month', nowMs: number): { readonly start: number; readonly end: number; readonly id: string } {
  const last = window === 'day' ? lastDay : lastMonth;
  if (last !== undefined && nowMs >= last.start && nowMs < last.end && Number.isInteger(nowMs)) return last;
  const p = Object.freeze(computePeriod(window, nowMs));
  if (Number.isInteger(nowMs)) {
    if (window === 'day') lastDay = p;
    else lastMonth = p;
  }
  return p;
}

type Period = { readonly start: number; readonly end: number; readonly id: string };
let lastDay: Period | undefined;
let lastMonth: Period | undefined;

function computePeriod(window: 'day' | 'month', nowMs: number): { start: number; end: number; id: string } {
  const d = new Date(nowMs);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (window === 'day') {
    const day = d.getUTCDate();
    return { start: Date.UTC(y, m, day), end: Date.UTC(y, m, day + 1), id: `${y}-${pad(m + 1)}-${pad(day)}` };
  }
  return { start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1), id: `${y}-${pad(m + 1)}` };
}

/** The bucket that spend at `nowMs` is counted in. */
export function bucketFor(window: BudgetWindow, nowMs: number): WindowBucket {
  if (isRolling(window)) {
    const { bucketMs, count } = ROLLING[window];
    const index = Math.floor(nowMs / bucketMs);
    const windowEnd = (index + 1) * bucketMs;
    return { window, period: 'rolling', index, minIndex: index - count + 1, windowEnd, expireAt: windowEnd + count * bucketMs };
  }
  const p = calendarPeriod(window, nowMs);
  return { window, period: p.id, index: 0, minIndex: 0, windowEnd: p.end, expireAt: p.end + CALENDAR_GRACE_MS };
}

/**
 * When the bucket holding `nowMs` began: the calendar period's start, or the rolling bucket's. Every
 * instant from it up to the bucket's `windowEnd` (exclusive) has the same {@link bucketFor} answer.
 */
export function bucketStart(window: BudgetWindow, nowMs: number): number {
  if (isRolling(window)) {
    const { bucketMs } = ROLLING[window];
    return Math.floor(nowMs / bucketMs) * bucketMs;
  }
  return calendarPeriod(window, nowMs).start;
}

/**
 * Nominal length of the window containing `nowMs`: the calendar period's real length (28–31 days
 * for a month) or the rolling window's span. Used to turn a budget into an ideal spend rate.
 */
export function windowDurationMs(window: BudgetWindow, nowMs: number): number {
  if (isRolling(window)) {
    const { bucketMs, count } = ROLLING[window];
    return bucketMs * count;
  }
  const p = calendarPeriod(window, nowMs);
  return p.end - p.start;
}

/** One bucket's amount in one dimension (micro-dollars or tokens). */
export interface BucketAmount {
  index: number;
  amount: number;
}

/**
 * How long until a refused reservation of `needed` could fit under `limit`, assuming nothing else is
 * spent meanwhile (a lower bound). Calendar: until the period ends. Rolling: until enough of the
 * oldest buckets slide out. `undefined` when it can never fit (`needed > limit`).
 */
export function budgetRetryAfterMs(
  bucket: WindowBucket,
  nowMs: number,
  buckets: readonly BucketAmount[],
  needed: number,
  limit: number,
): number | undefined {
  if (needed > limit) return undefined;
  if (!isRolling(bucket.window)) return Math.max(0, bucket.windowEnd - nowMs);
  const { bucketMs, count } = ROLLING[bucket.window];
  const live = buckets.filter((b) => b.index >= bucket.minIndex).sort((a, b) => a.index - b.index);
  let used = live.reduce((s, b) => s + b.amount, 0);
  for (const b of live) {
    used -= b.amount;
    if (used + needed <= limit) return Math.max(0, (b.index + count) * bucketMs - nowMs);
  }
  return Math.max(0, bucket.windowEnd - nowMs);
}
