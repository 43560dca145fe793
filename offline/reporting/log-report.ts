import { readDecisionLog, type LogReadIssue } from './decision-log-reader.js';
import { driverOrder } from './rollup-ledger.js';
import { CostLedger, type LedgerDimension, type LedgerRow } from '../../index.js';

/** Tokens per request on one day of the log. */
export interface InflationPoint {
  day: string;
  requests: number;
  inputPerRequest: number;
  outputPerRequest: number;
  tokensPerRequest: number;
}

/** A tenant × model pair and what it cost (integer micro-dollars). */
export interface CostDriver {
  tenant: string;
  model: string;
  requests: number;
  fullMicros: number;
  /** Fraction of the log's full cost. */
  share: number;
}

/** Everything `tollgate report` shows for one decision log. */
export interface LogReport {
  log: string;
  by: LedgerDimension;
  total: LedgerRow;
  rows: LedgerRow[];
  inflation: {
    days: InflationPoint[];
    /** Least-squares slope of tokens per request, as a fraction of the mean per day (0.02 = +2 %/day). */
    trendPerDay: number;
    /** Tokens per request on the last day relative to the first (0.1 = +10 %); 0 with fewer than two days. */
    firstToLast: number;
  };
  /** The most expensive tenant × model pairs, most expensive first. */
  topDrivers: CostDriver[];
  skipped: { torn: number; invalid: number; issues: LogReadIssue[] };
}

const MAX_ISSUES = 20;

/**
 * Streams a decision log once into a {@link CostLedger} (every money figure comes from the records'
 * settled costs) plus per-day tokens per request and tenant × model spend. A torn last line and
 * invalid lines are skipped and counted, not fatal. Throws `file_not_found` for a missing log.
 */
export async function reportDecisionLog(path: string, options: { by?: LedgerDimension; top?: number } = {}): Promise<LogReport> {
  const by = options.by ?? 'tenant';
  // One group map per dimension: `--by day` must not list 'day' twice (each record would count twice).
  const ledger = new CostLedger([...new Set(['total', by === 'total' ? 'tenant' : by, 'day'] as const)]);
  const pairs = new Map<string, { tenant: string; model: string; requests: number; fullMicros: number }>();
  const skipped = { torn: 0, invalid: 0, issues: [] as LogReadIssue[] };
  const onIssue = (i: LogReadIssue): void => {
    if (i.torn) skipped.torn++;
    else skipped.invalid++;
    if (skipped.issues.length < MAX_ISSUES) skipped.issues.push(i);
  };
  for await (const r of readDecisionLog(path, { onIssue, skipInvalid: true })) {
    ledger.record(r);
    const model = r.model ?? r.chosen ?? '(none)';
    const key = `${r.tenant}\u0000${model}`;
    let p = pairs.get(key);
    if (!p) pairs.set(key, (p = { tenant: r.tenant, model, requests: 0, fullMicros: 0 }));
    p.requests++;
    p.fullMicros += r.cost.full;
  }
  const total = ledger.total();
  const days = ledger
    .rows('day')
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((d) => ({
      day: d.key,
      requests: d.requests,
      inputPerRequest: d.requests ? d.inputTokens / d.requests : 0,
      outputPerRequest: d.requests ? d.outputTokens / d.requests : 0,
      tokensPerRequest: d.tokensPerRequest,
    }));
  const topDrivers = [...pairs.values()]
    .sort(driverOrder)
    .slice(0, options.top ?? 10)
    .map((p) => ({ ...p, share: total.fullMicros ? p.fullMicros / total.fullMicros : 0 }));
  return {
    log: path,
    by,
    total,
    rows: by === 'total' ? [total] : ledger.rows(by),
    inflation: { days, ...trend(days.map((d) => d.tokensPerRequest)) },
    topDrivers,
    skipped,
  };
}

/** Least-squares slope of a per-day series relative to its mean, and last over first (shared with the SQL report). */
export function trend(ys: number[]): { trendPerDay: number; firstToLast: number } {
  if (ys.length < 2) return { trendPerDay: 0, firstToLast: 0 };
  const n = ys.length;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  ys.forEach((y, x) => {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  });
  const first = ys[0]!;
  return { trendPerDay: my ? sxy / sxx / my : 0, firstToLast: first ? ys[n - 1]! / first - 1 : 0 };
}
