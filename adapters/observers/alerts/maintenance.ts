/** A declared maintenance window: alerts raised inside it (for the listed tenants, or all) are not sent. */
export interface MaintenanceWindow {
  /** Start, ISO time or epoch ms (inclusive). */
  from: string | number;
  /** End, ISO time or epoch ms (exclusive). */
  to: string | number;
  /** Tenants it covers; all tenants when omitted. */
  tenants?: string[];
  /** Why (shown nowhere by the monitor; for whoever declares it). */
  reason?: string;
}

const ms = (t: string | number): number => (typeof t === 'number' ? t : Date.parse(t));

/** True when `tMs` falls inside a window that covers `tenant`. */
export function underMaintenance(windows: readonly MaintenanceWindow[], tenant: string, tMs: number): boolean {
  return windows.some((w) => tMs >= ms(w.from) && tMs < ms(w.to) && (!w.tenants || w.tenants.includes(tenant)));
}
