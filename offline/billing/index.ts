/** `tollgate/billing`: chargeback, reconciliation against vendor invoices, vendor usage exports. */
export { ChargebackBuilder, type ChargebackReport, type ChargebackRow } from './chargeback.js';
export { reconcile, type Discrepancy, type ReconcileReport } from './reconcile.js';
export { parseVendorUsage, parseVendorUsageFile, parseVendorUsageJson, type VendorUsageRow } from './vendor-usage.js';
