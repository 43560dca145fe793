import type { DecisionRecord } from '../../index.js';
import { TollgateError } from '../../index.js';

/**
 * FinOps FOCUS 1.2 export of token usage: one charge row per UTC day, tenant (sub-account), model (SKU)
 * and tag set, from settled decision records, so its totals equal the native chargeback for the month.
 *
 * Columns (FOCUS 1.2 names; `x_` columns are Tollgate's own, as the spec allows for custom columns):
 * - BilledCost = EffectiveCost = the full cost Tollgate charges back (vendor + infra + ops), USD.
 * - ListCost = ListUnitPrice × PricingQuantity: the full cost with cache hits priced as if served
 *   (their savings, `x_CacheSavedCost`, are the only "discount"); ListUnitPrice is USD per 1M tokens,
 *   blended over the row's input and output tokens.
 * - ConsumedQuantity (Tokens) and PricingQuantity (1M Tokens): input + output tokens.
 * - ChargeCategory `Usage`, ChargeClass null, ChargePeriodStart/End the UTC day, BillingPeriodStart/End the month.
 * - ServiceCategory `AI and Machine Learning`, ServiceName `Tollgate LLM Gateway`, SkuId the answering model.
 * - SubAccountId / SubAccountName the tenant; Tags a JSON object: `cost_center` plus the request tags
 *   (`feature:x` → `"feature": "x"`, a tag without a colon → `"tag": true`).
 * - x_InputTokens, x_OutputTokens, x_CachedTokens, x_ReasoningTokens (null: the decision log does not
 *   keep reasoning tokens separately), x_VendorCost, x_InfraCost, x_OpsCost, x_CacheSavedCost, x_GpuHours,
 *   x_Requests, x_ModelTier, x_CostCenter.
 * Money is a decimal string with six places (exact micro-dollars), never a binary float.
 */
export const FOCUS_VERSION = '1.2';

export const FOCUS_COLUMNS = [
  'BilledCost', 'EffectiveCost', 'ListCost', 'ListUnitPrice', 'BillingCurrency',
  'ConsumedQuantity', 'ConsumedUnit', 'PricingQuantity', 'PricingUnit',
  'ChargeCategory', 'ChargeClass', 'ChargeDescription', 'ChargeFrequency',
  'ChargePeriodStart', 'ChargePeriodEnd', 'BillingPeriodStart', 'BillingPeriodEnd',
  'ServiceCategory', 'ServiceName', 'ProviderName', 'PublisherName', 'InvoiceIssuerName',
  'SkuId', 'SubAccountId', 'SubAccountName', 'Tags',
  'x_InputTokens', 'x_OutputTokens', 'x_CachedTokens', 'x_ReasoningTokens',
  'x_VendorCost', 'x_InfraCost', 'x_OpsCost', 'x_CacheSavedCost', 'x_GpuHours', 'x_Requests', 'x_ModelTier', 'x_CostCenter',
] as const;
export type FocusColumn = (typeof FOCUS_COLUMNS)[number];

/** Column kinds, for checking an export (decimal: a number as a string; datetime: ISO 8601 UTC; json: an object). */
export const FOCUS_COLUMN_TYPES: Record<FocusColumn, 'decimal' | 'string' | 'datetime' | 'json' | 'integer'> = {
  BilledCost: 'decimal', EffectiveCost: 'decimal', ListCost: 'decimal', ListUnitPrice: 'decimal', BillingCurrency: 'string',
  ConsumedQuantity: 'decimal', ConsumedUnit: 'string', PricingQuantity: 'decimal', PricingUnit: 'string',
  ChargeCategory: 'string', ChargeClass: 'string', ChargeDescription: 'string', ChargeFrequency: 'string',
  ChargePeriodStart: 'datetime', ChargePeriodEnd: 'datetime', BillingPeriodStart: 'datetime', BillingPeriodEnd: 'datetime',
  ServiceCategory: 'string', ServiceName: 'string', ProviderName: 'string', PublisherName: 'string', InvoiceIssuerName: 'string',
  SkuId: 'string', SubAccountId: 'string', SubAccountName: 'string', Tags: 'json',
  x_InputTokens: 'integer', x_OutputTokens: 'integer', x_CachedTokens: 'integer', x_ReasoningTokens: 'integer',
  x_VendorCost: 'decimal', x_InfraCost: 'decimal', x_OpsCost: 'decimal', x_CacheSavedCost: 'decimal', x_GpuHours: 'decimal', x_Requests: 'integer', x_ModelTier: 'string', x_CostCenter: 'string',
};

/** One FOCUS row; `null` is an empty cell. */
export type FocusRow = Record<FocusColumn, string | number | null>;

export interface FocusOptions {
  /** `YYYY-MM` (UTC). */
  month: string;
  costCenters?: Record<string, string | undefined>;
  gpuHoursPerM?: Record<string, number>;
  /** Who issues the charge-back (ProviderName / InvoiceIssuerName). Default `Tollgate`. */
  issuer?: string;
}

interface Acc {
  day: string; tenant: string; model: string; tier: string; tags: string[];
  requests: number; input: number; output: number; cached: number;
  vendor: number; infra: number; ops: number; full: number; saved: number;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Streaming FOCUS builder: `add` every record of a log, then `rows()`. */
export class FocusBuilder {
  private readonly acc = new Map<string, Acc>();

  constructor(private readonly o: FocusOptions) {
    if (!MONTH.test(o.month)) throw new TollgateError('invalid_request', `Month must be YYYY-MM, got "${o.month}"`, { month: o.month });
  }

  add(r: DecisionRecord): void {
    if (r.time.slice(0, 7) !== this.o.month) return;
    const day = r.time.slice(0, 10);
    const model = r.model ?? r.chosen ?? 'none';
    const tags = [...new Set(r.tags)].sort();
    const key = [day, r.tenant, model, tags.join('\u0001')].join('\u0000');
    let a = this.acc.get(key);
    if (!a) this.acc.set(key, (a = { day, tenant: r.tenant, model, tier: r.tier ?? '', tags, requests: 0, input: 0, output: 0, cached: 0, vendor: 0, infra: 0, ops: 0, full: 0, saved: 0 }));
    a.requests++;
    a.input += r.tokens.input;
    a.output += r.tokens.output;
    a.cached += r.tokens.cached;
    a.vendor += r.cost.vendor;
    a.infra += r.cost.infra;
    a.ops += r.cost.ops;
    a.full += r.cost.full;
    a.saved += r.cache?.savedMicros ?? 0;
  }

  rows(): FocusRow[] {
    const [y, m] = this.o.month.split('-').map(Number) as [number, number];
    const billingStart = iso(Date.UTC(y, m - 1, 1));
    const billingEnd = iso(Date.UTC(y, m, 1));
    const issuer = this.o.issuer ?? 'Tollgate';
    return [...this.acc.values()]
      .sort((a, b) => (a.day + a.tenant + a.model + a.tags.join() < b.day + b.tenant + b.model + b.tags.join() ? -1 : 1))
      .map((a) => {
        const tokens = a.input + a.output;
        const list = a.full + a.saved;
        const costCenter = this.o.costCenters?.[a.tenant] ?? null;
        const dayStart = Date.parse(`${a.day}T00:00:00Z`);
        return {
          BilledCost: usd(a.full), EffectiveCost: usd(a.full), ListCost: usd(list),
          ListUnitPrice: tokens > 0 ? ((list / tokens)).toFixed(6) : null, // µ$ per token = USD per 1M tokens
          BillingCurrency: 'USD',
          ConsumedQuantity: tokens, ConsumedUnit: 'Tokens', PricingQuantity: (tokens / 1_000_000).toFixed(6), PricingUnit: '1M Tokens',
          ChargeCategory: 'Usage', ChargeClass: null, ChargeDescription: `${a.model} tokens for ${a.tenant}`, ChargeFrequency: 'Usage-Based',
          ChargePeriodStart: iso(dayStart), ChargePeriodEnd: iso(dayStart + 86_400_000), BillingPeriodStart: billingStart, BillingPeriodEnd: billingEnd,
          ServiceCategory: 'AI and Machine Learning', ServiceName: 'Tollgate LLM Gateway', ProviderName: issuer, PublisherName: issuer, InvoiceIssuerName: issuer,
          SkuId: a.model, SubAccountId: a.tenant, SubAccountName: a.tenant, Tags: JSON.stringify(tagObject(a.tags, costCenter)),
          x_InputTokens: a.input, x_OutputTokens: a.output, x_CachedTokens: a.cached, x_ReasoningTokens: null,
          x_VendorCost: usd(a.vendor), x_InfraCost: usd(a.infra), x_OpsCost: usd(a.ops), x_CacheSavedCost: usd(a.saved),
          x_GpuHours: (((a.input + a.output) * (this.o.gpuHoursPerM?.[a.model] ?? 0)) / 1_000_000).toFixed(6),
          x_Requests: a.requests, x_ModelTier: a.tier || null, x_CostCenter: costCenter,
        };
      });
  }
}

/** FOCUS rows over an in-memory list of records. */
export function focusRows(records: Iterable<DecisionRecord>, o: FocusOptions): FocusRow[] {
  const b = new FocusBuilder(o);
  for (const r of records) b.add(r);
  return b.rows();
}

/** CSV with the FOCUS column names as the header (RFC 4180 quoting; null → empty cell). */
export function focusCsv(rows: readonly FocusRow[]): string {
  const cell = (v: string | number | null) => {
    if (v === null) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [FOCUS_COLUMNS.join(','), ...rows.map((r) => FOCUS_COLUMNS.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

function tagObject(tags: readonly string[], costCenter: string | null): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  if (costCenter) out.cost_center = costCenter;
  for (const t of tags) {
    const i = t.indexOf(':');
    if (i > 0) out[t.slice(0, i)] = t.slice(i + 1);
    else out[t] = true;
  }
  return out;
}

/** Exact micro-dollars as a USD decimal string with six places. */
function usd(micros: number): string {
  const neg = micros < 0;
  const m = Math.abs(Math.round(micros));
  return `${neg ? '-' : ''}${Math.floor(m / 1_000_000)}.${String(m % 1_000_000).padStart(6, '0')}`;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
