import type { PolicySimulation } from '../../../offline/simulation/index.js';
import type { Policy } from '../../../index.js';

/** One tenant's spend against its budget, for the per-tenant table. */
export interface TenantRow {
  tenant: string;
  requests: number;
  fullCostMicros: number;
  vendorCostMicros: number;
  budgetMicros?: number;
  /** The window of that budget (`day`, `month`, …): the first tenant-wide dollar budget, as the simulation reports. */
  budgetWindow?: string;
  /** Full cost over the budget (1 = the whole budget); undefined without a budget. */
  budgetUsed?: number;
  refused: number;
}

export function tenantRows(p: PolicySimulation, tenants: Policy['tenants'] = {}): TenantRow[] {
  return Object.entries(p.byTenant)
    .map(([tenant, t]) => ({
      tenant,
      requests: t.requests,
      fullCostMicros: t.fullCostMicros,
      vendorCostMicros: t.vendorCostMicros,
      budgetMicros: t.budgetMicros,
      budgetWindow: t.budgetMicros ? tenants[tenant]?.budgets.find((b) => b.usd !== undefined && b.tag === undefined)?.window : undefined,
      budgetUsed: t.budgetMicros ? Math.round((t.fullCostMicros / t.budgetMicros) * 10_000) / 10_000 : undefined,
      refused: t.refused,
    }))
    .sort((a, b) => b.fullCostMicros - a.fullCostMicros);
}
