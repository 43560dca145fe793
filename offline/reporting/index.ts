/** Reports over decision logs: ledger views, token inflation and top cost drivers (`tollgate report`). */
export { reportDecisionLog } from './log-report.js';
export type { LogReport, InflationPoint, CostDriver } from './log-report.js';
export { readDecisionLog, type LogReadIssue } from './decision-log-reader.js';
