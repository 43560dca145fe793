import type { DecisionRecord } from '../../index.js';
import { TollgateError } from '../../index.js';
import { CostLedger, type LedgerRow } from '../../index.js';

/**
 * Chargeback: who owes what for a calendar month, per tenant and cost centre, with full cost split into
 * vendor, infra (GPU-hours × $/GPU-hour) and ops. Pure aggregation of settled decision records through
 * {@link CostLedger}; no cost is recomputed here, so chargeback always equals the ledger and the log.
 */
export const ALLOCATION_RULE =
  "Direct attribution: each request's settled cost (vendor + infra + ops, from its decision record) belongs to the tenant that sent it; " +
  "a tenant's cost centre is the policy's tenants.<tenant>.costCenter ('(unassigned)' when none). Cache hits cost 0 (their savings are shown " +
  'separately). Failed and refused requests cost what was settled for them (0 when no model answered; vendor charges for failed attempts are ' +
  'not in the log — see `tollgate reconcile`). The month is by request start time in UTC. GPU-hours are tokens × the model\'s GPU-hours per 1M tokens.';

export const UNASSIGNED = '(unassigned)';

export interface ChargebackOptions {
  /** `YYYY-MM` (UTC). */
  month: string;
  /** Tenant → cost centre (from the policy). */
  costCenters?: Record<string, string | undefined>;
  /** Model id → GPU-hours per 1M tokens (from the compiled policy); models absent count 0. */
  gpuHoursPerM?: Record<string, number>;
}

export interface ChargebackRow {
  tenant: string;
  costCenter: string;
  requests: number;
  ok: number;
  errors: number;
  refused: number;
  cacheHits: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  gpuHours: number;
  vendorMicros: number;
  infraMicros: number;
  opsMicros: number;
  fullMicros: number;
  cacheSavedMicros: number;
}

export interface ChargebackReport {
  month: string;
  allocationRule: string;
  /** One row per tenant, most expensive first. */
  tenants: ChargebackRow[];
  /** One row per cost centre (`tenant` = '*'), most expensive first. */
  costCenters: ChargebackRow[];
  total: ChargebackRow;
  /** Records read outside the month (skipped). */
  skipped: number;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Streaming builder: feed every record of a log (`add`), then `report()`. */
export class ChargebackBuilder {
  private readonly byTenant = new Map<string, CostLedger>();
  private skipped = 0;

  constructor(private readonly options: ChargebackOptions) {
    if (!MONTH.test(options.month)) throw new TollgateError('invalid_request', `Month must be YYYY-MM, got "${options.month}"`, { month: options.month });
  }

  add(r: DecisionRecord): void {
    if (r.time.slice(0, 7) !== this.options.month) {
      this.skipped++;
      return;
    }
    let l = this.byTenant.get(r.tenant);
    if (!l) this.byTenant.set(r.tenant, (l = new CostLedger(['total', 'model'])));
    l.record(r);
  }

  report(): ChargebackReport {
    const tenants = [...this.byTenant].map(([tenant, l]) => this.row(tenant, this.centre(tenant), l));
    const centres = new Map<string, ChargebackRow>();
    for (const t of tenants) {
      const c = centres.get(t.costCenter);
      centres.set(t.costCenter, c ? sum(c, t) : { ...t, tenant: '*' });
    }
    const order = (a: ChargebackRow, b: ChargebackRow) => b.fullMicros - a.fullMicros || (a.tenant + a.costCenter < b.tenant + b.costCenter ? -1 : 1);
    const total = tenants.reduce((acc, t) => sum(acc, t), emptyRow('*', '*'));
    return { month: this.options.month, allocationRule: ALLOCATION_RULE, tenants: tenants.sort(order), costCenters: [...centres.values()].sort(order), total, skipped: this.skipped };
  }

  private centre(tenant: string): string {
    return this.options.costCenters?.[tenant] ?? UNASSIGNED;
  }

  private row(tenant: string, costCenter: string, l: CostLedger): ChargebackRow {
    const t: LedgerRow = l.total();
    let gpuHours = 0;
    for (const m of l.rows('model')) gpuHours += ((m.inputTokens + m.outputTokens) * (this.options.gpuHoursPerM?.[m.key] ?? 0)) / 1_000_000;
    return {
      tenant, costCenter,
      requests: t.requests, ok: t.ok, errors: t.errors, refused: t.refused, cacheHits: t.cacheHits,
      inputTokens: t.inputTokens, outputTokens: t.outputTokens, cachedTokens: t.cachedTokens,
      gpuHours,
      vendorMicros: t.vendorMicros, infraMicros: t.infraMicros, opsMicros: t.opsMicros, fullMicros: t.fullMicros,
      cacheSavedMicros: t.cacheSavedMicros,
    };
  }
}

/** Chargeback over an in-memory list of records. */
export function chargeback(records: Iterable<DecisionRecord>, options: ChargebackOptions): ChargebackReport {
  const b = new ChargebackBuilder(options);
  for (const r of records) b.add(r);
  return b.report();
}

function emptyRow(tenant: string, costCenter: string): ChargebackRow {
  return {
    tenant, costCenter, requests: 0, ok: 0, errors: 0, refused: 0, cacheHits: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0,
    gpuHours: 0, vendorMicros: 0, infraMicros: 0, opsMicros: 0, fullMicros: 0, cacheSavedMicros: 0,
  };
}

const NUMERIC = ['requests', 'ok', 'errors', 'refused', 'cacheHits', 'inputTokens', 'outputTokens', 'cachedTokens', 'gpuHours', 'vendorMicros', 'infraMicros', 'opsMicros', 'fullMicros', 'cacheSavedMicros'] as const;

function sum(a: ChargebackRow, b: ChargebackRow): ChargebackRow {
  const out = { ...a };
  for (const k of NUMERIC) out[k] = a[k] + b[k];
  return out;
}
