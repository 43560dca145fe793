/** `tollgate/billing`: chargeback, reconciliation against vendor invoices, vendor usage exports. */
export { ChargebackBuilder, type ChargebackReport, type ChargebackRow } from './chargeback.js';
export { reconcile, type Discrepancy, type ReconcileReport } from './reconcile.js';
export { parseVendorUsage, parseVendorUsageFile, parseVendorUsageJson, type VendorUsageRow } from './vendor-usage.js';
export { FocusBuilder, focusRows, focusCsv, FOCUS_COLUMNS, FOCUS_COLUMN_TYPES, FOCUS_VERSION, type FocusRow, type FocusColumn, type FocusOptions } from './focus.js';
export { ALLOCATION_RULE, UNASSIGNED, chargebackRow, chargebackReport, type ChargebackOptions } from './chargeback.js';
export { type ReconcileOptions } from './reconcile.js';
