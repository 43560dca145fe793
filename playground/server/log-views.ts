import { readDecisionLog, type LogReadIssue } from '../../offline/reporting/index.js';
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
    recent: latest.map((r) => ({
      requestId: r.requestId,
      time: r.time,
      tenant: r.tenant,
      model: r.model,
      rule: r.rule,
      outcome: r.outcome,
      fullCostMicros: r.cost.full,
    })),
    byId: new Map(latest.map((r) => [r.requestId, r])),
  };
}
