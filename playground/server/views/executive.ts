import type { DailySpend, DaySpend } from './daily.js';

/** What an executive reads: spend, its trend, and where the month lands at this pace. */
export interface ExecutiveView {
  spendMicros: number;
  vendorMicros: number;
  days: DaySpend[];
  /** Spend of the trailing window vs the window before it, minus 1; undefined without both. */
  trendRatio?: number;
  /** Length of the trailing window in hours (7 days, or half the data when it covers less than 14). */
  windowHours: number;
  /** The month (YYYY-MM, UTC) the data ends in. */
  month?: string;
  monthToDateMicros: number;
  /** Month-to-date plus the trailing window's daily rate for the rest of that month. */
  forecastMonthEndMicros: number;
  dailyRunRateMicros: number;
  /** Days (fractional) from the last record to the end of its month. */
  daysLeftInMonth: number;
}

const HOUR_MS = 3_600_000;
const DAY_HOURS = 24;
const MAX_WINDOW_HOURS = 7 * DAY_HOURS;

/**
 * Builds the executive view from spend by hour and day (money in integer micro-dollars). The
 * trend and the run rate use whole hours ending at the last record, so a partial last day does
 * not read as a drop.
 */
export function executiveView(daily: DailySpend): ExecutiveView {
  const days = daily.list();
  const spendMicros = days.reduce((s, d) => s + d.fullCostMicros, 0);
  const vendorMicros = days.reduce((s, d) => s + d.vendorCostMicros, 0);
  if (days.length === 0) return { spendMicros, vendorMicros, days, windowHours: 0, monthToDateMicros: 0, forecastMonthEndMicros: 0, dailyRunRateMicros: 0, daysLeftInMonth: 0 };
  const endHour = Math.floor(daily.latestMs / HOUR_MS) + 1;
  const spanHours = endHour - Math.floor(daily.earliestMs / HOUR_MS);
  const windowHours = Math.max(1, Math.min(MAX_WINDOW_HOURS, Math.floor(spanHours / 2)));
  const recent = daily.spendInHours(endHour - windowHours, endHour);
  const earlier = spanHours >= 2 * windowHours ? daily.spendInHours(endHour - 2 * windowHours, endHour - windowHours) : 0;
  const last = new Date(daily.latestMs);
  const month = last.toISOString().slice(0, 7);
  const monthToDateMicros = days.filter((d) => d.day.startsWith(month)).reduce((s, d) => s + d.fullCostMicros, 0);
  const dailyRunRateMicros = Math.round((recent / windowHours) * DAY_HOURS);
  const monthEnd = Date.UTC(last.getUTCFullYear(), last.getUTCMonth() + 1, 1);
  const hoursLeft = Math.max(0, (monthEnd - endHour * HOUR_MS) / HOUR_MS);
  return {
    spendMicros,
    vendorMicros,
    days,
    trendRatio: earlier > 0 ? recent / earlier - 1 : undefined,
    windowHours,
    month,
    monthToDateMicros,
    forecastMonthEndMicros: monthToDateMicros + Math.round((recent / windowHours) * hoursLeft),
    dailyRunRateMicros,
    daysLeftInMonth: Math.round((hoursLeft / DAY_HOURS) * 10) / 10,
  };
}
