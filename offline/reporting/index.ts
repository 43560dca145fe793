/** Reports over decision logs: ledger views, token inflation and top cost drivers (`tollgate report`). */
export { reportDecisionLog } from './log-report.js';
export type { LogReport, InflationPoint, CostDriver } from './log-report.js';
export { readDecisionLog, type LogReadIssue } from './decision-log-reader.js';
export { summariseStoreOutages, hadOutage, type StoreOutageSummary } from './store-outage.js';
// Reports where the data is: the DecisionQueries seam (PostgreSQL here; ClickHouse would fill the same methods).
export type { DecisionQueries, RollupRow, DayRange, VendorDayTotals, HourSpend } from './decision-queries.js';
export { PostgresDecisionQueries } from './postgres-decision-queries.js';
export { reportDecisionStore, reportFromRollups, chargebackDecisionStore, chargebackFromRollups, monthRange } from './rollup-report.js';
export { findLoggedRecord } from './find-record.js';
export { reconcileDecisionStore } from './reconcile-store.js';
