import { h } from '../dom';
import { count, money, pct } from '../format';
import { sortableTable } from '../sortable-table';
import type { SimulationResult } from '../types';

/** Per-tenant spend against budget (the server computed the fraction used). */
export function tenantsView(panel: HTMLElement, r: SimulationResult): void {
  r.views.forEach((v, i) => {
    panel.append(sortableTable(`${v.name}: spend per tenant against budget`, [
      { key: 'tenant', label: 'Tenant', value: (t) => t.tenant },
      { key: 'requests', label: 'Requests', numeric: true, value: (t) => t.requests, cell: (t) => count(t.requests) },
      { key: 'full', label: 'Full cost', numeric: true, value: (t) => t.fullCostMicros, cell: (t) => money(t.fullCostMicros) },
      { key: 'vendor', label: 'Vendor cost', numeric: true, value: (t) => t.vendorCostMicros, cell: (t) => money(t.vendorCostMicros) },
      { key: 'budget', label: 'Budget', numeric: true, value: (t) => t.budgetMicros, cell: (t) => (t.budgetMicros ? `${money(t.budgetMicros)} / ${t.budgetWindow ?? 'window'}` : 'none') },
      { key: 'used', label: 'Trace spend ÷ budget', numeric: true, value: (t) => t.budgetUsed, cell: (t) => t.budgetUsed === undefined ? '—' :
        h('span', { className: 'used' }, h('meter', { min: 0, max: 1, low: 0.8, high: 0.95, optimum: 0, value: Math.min(1, t.budgetUsed), 'aria-label': `${t.tenant} budget used` }), ` ${pct(t.budgetUsed)}`) },
      { key: 'refused', label: 'Refused', numeric: true, value: (t) => t.refused, cell: (t) => count(t.refused) },
    ], v.tenants, { sortKey: 'full', descending: true, testId: `tenants-${i}` }));
  });
}
