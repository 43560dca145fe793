import type { DecisionRecord } from '../../index.js';
import { TollgateError } from '../../index.js';
import { CostLedger, type LedgerRow } from '../../index.js';

/**
 * Chargeback: who owes what for a calendar month, per tenant and cost centre, with full cost split into
 * vendor, infra (GPU-hours × $/GPU-hour) and ops, and the vendor cost split further as vendors bill it
 * (fresh input, cache reads, cache writes, output with reasoning; per served service tier). Pure aggregation of settled decision records through
 * {@link CostLedger}; no cost is recomputed here, so chargeback always equals the ledger and the log.
 */
export const ALLOCATION_RULE =
  "Direct attribution: each request's settled cost (vendor + infra + ops, from its decision record) belongs to the tenant that sent it; " +
  "a tenant's cost centre is the policy's tenants.<tenant>.costCenter ('(unassigned)' when none). Cache hits cost 0 (their savings are shown " +
  'separately). Failed and refused requests cost what was settled for them (0 when no model answered; vendor charges for failed attempts are ' +
  'not in the log — see `tollgate reconcile`). The month is by request start time in UTC. GPU-hours are tokens × the model\'s GPU-hours per 1M tokens. ' +
  "Vendor cost is split as each record's settled parts (fresh input + cache reads + cache writes + output = vendor; 'unsplit' holds records logged without parts).";

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
  /** Cache-write input tokens (subset of input), of which at the 1-hour rate; reasoning tokens (subset of output). */
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  reasoningTokens: number;
  gpuHours: number;
  vendorMicros: number;
  /** `vendorMicros` by part (engine/ledger.ts LedgerRow): the five sum to it exactly. */
  vendorInputMicros: number;
  vendorCachedInputMicros: number;
  vendorCacheWriteMicros: number;
  vendorOutputMicros: number;
  vendorUnsplitMicros: number;
  /** `vendorMicros` by the service tier the vendor reported it served (`(none)`: none reported), keys sorted; sums to it. */
  vendorByServiceTier: Record<string, number>;
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
    if (!l) this.byTenant.set(r.tenant, (l = new CostLedger(['total', 'model', 'serviceTier'])));
    l.record(r);
  }

  report(): ChargebackReport {
    const tenants = [...this.byTenant].map(([tenant, l]) => chargebackRow(tenant, this.options.costCenters?.[tenant] ?? UNASSIGNED, l.total(), l.rows('model'), l.rows('serviceTier'), this.options.gpuHoursPerM));
    return chargebackReport(this.options.month, tenants, this.skipped);
  }
}

/**
 * One tenant's chargeback row from its ledger rows (its total, per model for GPU-hours, per served service
 * tier): shared by the JSONL builder and the SQL rollups, so both derive every field the same way.
 */
export function chargebackRow(tenant: string, costCenter: string, t: LedgerRow, byModel: readonly LedgerRow[], byServiceTier: readonly LedgerRow[], gpuHoursPerM?: Record<string, number>): ChargebackRow {
  let gpuHours = 0;
  for (const m of byModel) gpuHours += ((m.inputTokens + m.outputTokens) * (gpuHoursPerM?.[m.key] ?? 0)) / 1_000_000;
  const vendorByServiceTier: Record<string, number> = {};
  for (const st of [...byServiceTier].sort((a, b) => (a.key < b.key ? -1 : 1))) if (st.vendorMicros > 0) vendorByServiceTier[st.key] = st.vendorMicros;
  return {
    tenant, costCenter,
    requests: t.requests, ok: t.ok, errors: t.errors, refused: t.refused, cacheHits: t.cacheHits,
    inputTokens: t.inputTokens, outputTokens: t.outputTokens, cachedTokens: t.cachedTokens,
    cacheWriteTokens: t.cacheWriteTokens, cacheWrite1hTokens: t.cacheWrite1hTokens, reasoningTokens: t.reasoningTokens,
    gpuHours,
    vendorMicros: t.vendorMicros,
    vendorInputMicros: t.vendorInputMicros, vendorCachedInputMicros: t.vendorCachedInputMicros, vendorCacheWriteMicros: t.vendorCacheWriteMicros,
    vendorOutputMicros: t.vendorOutputMicros, vendorUnsplitMicros: t.vendorUnsplitMicros, vendorByServiceTier,
    infraMicros: t.infraMicros, opsMicros: t.opsMicros, fullMicros: t.fullMicros,
    cacheSavedMicros: t.cacheSavedMicros,
  };
}

/** The report of a month's tenant rows: cost-centre subtotals and the total, most expensive first. */
export function chargebackReport(month: string, tenants: ChargebackRow[], skipped: number): ChargebackReport {
  const centres = new Map<string, ChargebackRow>();
  for (const t of tenants) {
    const c = centres.get(t.costCenter);
    centres.set(t.costCenter, c ? sum(c, t) : { ...t, tenant: '*', vendorByServiceTier: { ...t.vendorByServiceTier } });
  }
  const order = (a: ChargebackRow, b: ChargebackRow) => b.fullMicros - a.fullMicros || (a.tenant + a.costCenter < b.tenant + b.costCenter ? -1 : 1);
  const total = tenants.reduce((acc, t) => sum(acc, t), emptyRow('*', '*'));
  return { month, allocationRule: ALLOCATION_RULE, tenants: tenants.sort(order), costCenters: [...centres.values()].sort(order), total, skipped };
}

/** Chargeback over an in-memory list of records. */
export function chargeback(records: Iterable<DecisionRecord>, options: ChargebackOptions): ChargebackReport {
  const b = new ChargebackBuilder(options);
  for (const r of records) b.add(r);
  return b.report();
}

const NUMERIC = [
  'requests', 'ok', 'errors', 'refused', 'cacheHits', 'inputTokens', 'outputTokens', 'cachedTokens', 'cacheWriteTokens', 'cacheWrite1hTokens', 'reasoningTokens', 'gpuHours',
  'vendorMicros', 'vendorInputMicros', 'vendorCachedInputMicros', 'vendorCacheWriteMicros', 'vendorOutputMicros', 'vendorUnsplitMicros', 'infraMicros', 'opsMicros', 'fullMicros', 'cacheSavedMicros',
] as const satisfies readonly (keyof ChargebackRow)[];

function emptyRow(tenant: string, costCenter: string): ChargebackRow {
  const row = { tenant, costCenter, vendorByServiceTier: {} } as unknown as ChargebackRow;
  for (const k of NUMERIC) row[k] = 0;
  return row;
}

function sum(a: ChargebackRow, b: ChargebackRow): ChargebackRow {
  const out = { ...a };
  for (const k of NUMERIC) out[k] = a[k] + b[k];
  const tiers: Record<string, number> = { ...a.vendorByServiceTier };
  for (const [k, v] of Object.entries(b.vendorByServiceTier)) tiers[k] = (tiers[k] ?? 0) + v;
  out.vendorByServiceTier = Object.fromEntries(Object.entries(tiers).sort(([x], [y]) => (x < y ? -1 : 1)));
  return out;
}
