import type { DailySpend, DaySpend } from './daily.js';

/** What an executive reads: spend, its trend, and where the month lands at this pace. */
export interface ExecutiveView {
  spendMicros: number;
  vendorMicros: number;
  days: DaySpend[];
  /** Mean daily spend of the last (up to) 7 days vs the 7 before; undefined without two periods. */
  trendRatio?: number;
  /** The month (YYYY-MM, UTC) the data ends in. */
  month?: string;
  monthToDateMicros: number;
  /** Month-to-date plus the last 7 days' daily mean for every remaining day of that month. */
  forecastMonthEndMicros: number;
  dailyRunRateMicros: number;
  daysLeftInMonth: number;
}

const DAY_MS = 86_400_000;
const WINDOW_DAYS = 7;

const mean = (days: DaySpend[]): number => (days.length ? days.reduce((s, d) => s + d.fullCostMicros, 0) / days.length : 0);

/** Builds the executive view from daily spend (all money in integer micro-dollars). */
export function executiveView(daily: DailySpend): ExecutiveView {
  const days = daily.list();
  const spendMicros = days.reduce((s, d) => s + d.fullCostMicros, 0);
  const vendorMicros = days.reduce((s, d) => s + d.vendorCostMicros, 0);
  if (days.length === 0) return { spendMicros, vendorMicros, days, monthToDateMicros: 0, forecastMonthEndMicros: 0, dailyRunRateMicros: 0, daysLeftInMonth: 0 };
  const last = new Date(daily.latestMs);
  const month = last.toISOString().slice(0, 7);
  const monthToDateMicros = days.filter((d) => d.day.startsWith(month)).reduce((s, d) => s + d.fullCostMicros, 0);
  const recent = days.slice(-WINDOW_DAYS);
  const before = days.slice(-2 * WINDOW_DAYS, -WINDOW_DAYS);
  const earlier = before.length ? before : days.length >= 2 ? days.slice(0, Math.floor(days.length / 2)) : [];
  const later = before.length ? recent : days.length >= 2 ? days.slice(Math.floor(days.length / 2)) : recent;
  const trendRatio = earlier.length && mean(earlier) > 0 ? mean(later) / mean(earlier) - 1 : undefined;
  const dailyRunRateMicros = Math.round(mean(recent));
  const monthEnd = Date.UTC(last.getUTCFullYear(), last.getUTCMonth() + 1, 1);
  const dayEnd = (Math.floor(daily.latestMs / DAY_MS) + 1) * DAY_MS;
  const daysLeftInMonth = Math.max(0, Math.round((monthEnd - dayEnd) / DAY_MS));
  return {
    spendMicros,
    vendorMicros,
    days,
    trendRatio,
    month,
    monthToDateMicros,
    forecastMonthEndMicros: monthToDateMicros + dailyRunRateMicros * daysLeftInMonth,
    dailyRunRateMicros,
    daysLeftInMonth,
  };
}
