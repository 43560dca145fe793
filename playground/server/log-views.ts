import { readDecisionLog, type LogReadIssue } from '../../offline/reporting/index.js';
import type { DecisionQueries } from '../../offline/reporting/index.js';
import type { DecisionRecord } from '../../index.js';
import type { Policy } from '../../index.js';
import { DailySpend } from './views/daily.js';
import { executiveView, type ExecutiveView } from './views/executive.js';
import { OnCallBuilder, type OnCallView } from './views/oncall.js';

/** A short line per record for the debug view's picker. */
export interface LogRecordSummary {
  requestId: string;
  time: string;
  tenant: string;
  model?: string;
  rule?: string;
  outcome: string;
  fullCostMicros: number;
}

/** An existing decision log (`tollgate playground --log FILE`) read once into the views. */
export interface LogViews {
  file: string;
  records: number;
  issues: LogReadIssue[];
  executive: ExecutiveView;
  oncall: OnCallView;
  /** The latest records (newest first) for the debug view. */
  recent: LogRecordSummary[];
  /** Full records by request id, for the latest ones only. */
  byId: Map<string, DecisionRecord>;
}

const KEEP = 500;

const summary = (r: DecisionRecord): LogRecordSummary => ({
  requestId: r.requestId,
  time: r.time,
  tenant: r.tenant,
  model: r.model,
  rule: r.rule,
  outcome: r.outcome,
  fullCostMicros: r.cost.full,
});

/** Reads a decision log; `tenants` (from a policy) enables burn rates against budgets. */
export async function readLogViews(file: string, tenants: Policy['tenants'] = {}): Promise<LogViews> {
  const issues: LogReadIssue[] = [];
  const daily = new DailySpend();
  const oncall = new OnCallBuilder(tenants);
  const latest: DecisionRecord[] = [];
  let records = 0;
  for await (const r of readDecisionLog(file, { skipInvalid: true, onIssue: (i) => issues.length < 100 && issues.push(i) })) {
    records++;
    daily.add(Date.parse(r.time), 1, r.cost.full, r.cost.vendor);
    oncall.observe(r);
    latest.push(r);
    if (latest.length > KEEP) latest.shift();
  }
  latest.reverse();
  return {
    file,
    records,
    issues,
    executive: executiveView(daily),
    oncall: await oncall.finish(),
    recent: latest.map(summary),
    byId: new Map(latest.map((r) => [r.requestId, r])),
  };
}

/** How far back the on-call view replays records from a decision store (alerts, guards, circuits). */
const ONCALL_REPLAY_MS = 24 * 3_600_000;
const ONCALL_REPLAY_MAX = 200_000;

/**
 * The same views over a decision store (`tollgate playground --db`), as aggregations where the data is:
 * the executive view from per-hour sums, the debug picker from the latest records; the on-call view
 * replays only the last 24 hours of records (at most 200,000), not the whole history.
 */
export async function readLogViewsFromStore(q: DecisionQueries, tenants: Policy['tenants'] = {}): Promise<LogViews> {
  const [hours, latest] = await Promise.all([q.hourly(), q.recent(KEEP)]);
  const daily = new DailySpend();
  let records = 0;
  for (const h of hours) {
    daily.add(Date.parse(h.hour), h.requests, h.fullMicros, h.vendorMicros);
    records += h.requests;
  }
  const oncall = new OnCallBuilder(tenants);
  if (latest.length) {
    const newest = Date.parse(latest[0]!.time);
    daily.latestMs = Math.max(daily.latestMs, newest);
    for (const r of await q.since(new Date(newest - ONCALL_REPLAY_MS).toISOString(), ONCALL_REPLAY_MAX)) oncall.observe(r);
  }
  return {
    file: q.label,
    records,
    issues: [],
    executive: executiveView(daily),
    oncall: await oncall.finish(),
    recent: latest.map(summary),
    byId: new Map(latest.map((r) => [r.requestId, r])),
  };
}
