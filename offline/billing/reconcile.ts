import type { DecisionRecord } from '../../index.js';
import type { VendorUsageRow } from './vendor-usage.js';

/**
 * Billing reconciliation: Tollgate's per-day, per-model totals (from settled decision records) against a
 * vendor's usage/cost export. Pure. A metric differs when |ours − theirs| / max(ours, theirs) > tolerance.
 * Only what reached a vendor is counted on our side: records with an answering model, not cache hits,
 * and (when the tier is known) tier `vendor`. Model names match after mapping policy ids to the
 * vendor's names (`modelNames`, e.g. the policy's `upstreamModel`) and dropping a `-YYYY-MM-DD` snapshot suffix.
 */
export type Metric = 'requests' | 'inputTokens' | 'outputTokens' | 'cachedTokens' | 'costMicros';
export const METRICS: readonly Metric[] = ['requests', 'inputTokens', 'outputTokens', 'cachedTokens', 'costMicros'];
type Totals = Record<Metric, number>;

export interface Explainer {
  requestId: string;
  reason: 'failed_attempt' | 'error' | 'estimated_tokens' | 'retried';
  detail: string;
}

export interface Discrepancy {
  day: string;
  model: string;
  kind: 'missing_in_export' | 'missing_in_log' | 'mismatch';
  /** The metrics beyond tolerance (all compared metrics for a missing side). */
  metrics: { metric: Metric; ours: number; theirs: number; relDiff: number }[];
  /** A human-readable reading of the difference (e.g. tokens agree but cost differs: a price change). */
  hint: string;
  /** Requests of that day and model that may explain it (failed attempts the vendor may bill, estimated tokens…). */
  explainers: Explainer[];
}

export interface ReconcileReport {
  tolerance: number;
  /** Export date range; log days outside it are not compared. */
  range: { from: string; to: string } | undefined;
  compared: { day: string; model: string; ours: Totals; theirs: Partial<Totals> }[];
  discrepancies: Discrepancy[];
  notCompared: { days: number; requests: number };
}

export interface ReconcileOptions {
  tolerance?: number;
  /** Policy model id → the vendor's model name. */
  modelNames?: Record<string, string>;
  /** Most explaining requests listed per discrepancy (default 20). */
  maxExplainers?: number;
  /**
   * Our per-day, per-answering-model totals when they were summed where the records are (SQL over the
   * decision store, same filter as below); `records` then only supply the explaining requests.
   */
  totals?: readonly ({ day: string; model: string } & Totals)[];
}

export const normalizeModel = (m: string): string => m.trim().toLowerCase().replace(/-\d{4}-\d{2}-\d{2}$/, '');
const zero = (): Totals => ({ requests: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, costMicros: 0 });
const keyOf = (day: string, model: string) => `${day}\u0000${model}`;
const totalsAt = (m: Map<string, Totals>, k: string): Totals => m.get(k) ?? m.set(k, zero()).get(k)!;

export function reconcile(records: Iterable<DecisionRecord>, vendor: readonly VendorUsageRow[], options: ReconcileOptions = {}): ReconcileReport {
  const tolerance = options.tolerance ?? 0.01;
  const name = (id: string) => normalizeModel(options.modelNames?.[id] ?? id);
  const ours = new Map<string, Totals>();
  const explainers = new Map<string, Explainer[]>();
  const explain = (day: string, model: string, e: Explainer) => {
    const k = keyOf(day, name(model));
    (explainers.get(k) ?? explainers.set(k, []).get(k)!).push(e);
  };
  for (const r of records) {
    const day = r.time.slice(0, 10);
    for (const f of r.fallbacks) explain(day, f.model, { requestId: r.requestId, reason: 'failed_attempt', detail: `attempt on ${f.model} failed (${f.code}) before ${r.model ?? 'no model'} answered; the vendor may have billed it` });
    if (!r.model || r.cache?.hit || (r.tier !== undefined && r.tier !== 'vendor')) {
      if (r.outcome === 'error' && r.chosen) explain(day, r.chosen, { requestId: r.requestId, reason: 'error', detail: `request failed (${r.error?.code ?? 'error'}); partial output may have been billed` });
      continue;
    }
    if (!options.totals) {
      const t = totalsAt(ours, keyOf(day, name(r.model)));
      t.requests++;
      t.inputTokens += r.tokens.input;
      t.outputTokens += r.tokens.output;
      t.cachedTokens += r.tokens.cached;
      t.costMicros += r.cost.vendor;
    }
    if (r.tokens.source !== 'vendor') explain(day, r.model, { requestId: r.requestId, reason: 'estimated_tokens', detail: `tokens from the ${r.tokens.source}, not the vendor's usage` });
    if (r.attempts > 1 + r.fallbacks.length) explain(day, r.model, { requestId: r.requestId, reason: 'retried', detail: `${r.attempts} attempts; retried attempts may have been billed` });
  }
  for (const x of options.totals ?? []) {
    const t = totalsAt(ours, keyOf(x.day, name(x.model)));
    for (const m of METRICS) t[m] += x[m];
  }
  const theirs = new Map<string, Partial<Totals>>();
  let from: string | undefined;
  let to: string | undefined;
  for (const v of vendor) {
    from = from === undefined || v.day < from ? v.day : from;
    to = to === undefined || v.day > to ? v.day : to;
    const k = keyOf(v.day, normalizeModel(v.model));
    const t = theirs.get(k) ?? theirs.set(k, {}).get(k)!;
    const add = (m: Metric, x: number | undefined) => x !== undefined && (t[m] = (t[m] ?? 0) + x);
    add('requests', v.requests);
    add('inputTokens', v.inputTokens);
    add('outputTokens', v.outputTokens);
    add('cachedTokens', v.cachedTokens);
    add('costMicros', v.costMicros);
  }
  const provided = new Set(METRICS.filter((m) => [...theirs.values()].some((t) => t[m] !== undefined)));
  const report: ReconcileReport = { tolerance, range: from && to ? { from, to } : undefined, compared: [], discrepancies: [], notCompared: { days: 0, requests: 0 } };
  const skippedDays = new Set<string>();
  const max = options.maxExplainers ?? 20;
  for (const k of [...new Set([...ours.keys(), ...theirs.keys()])].sort()) {
    const [day, model] = k.split('\u0000') as [string, string];
    const o = ours.get(k);
    if (!theirs.has(k) && (!from || day < from || day > to!)) {
      skippedDays.add(day);
      report.notCompared.requests += o?.requests ?? 0;
      continue;
    }
    const t = theirs.get(k) ?? {};
    const oo = o ?? zero();
    report.compared.push({ day, model, ours: oo, theirs: t });
    const metrics = [...provided].map((m) => ({ metric: m, ours: oo[m], theirs: t[m] ?? 0, relDiff: relDiff(oo[m], t[m] ?? 0) }));
    const kind = !o ? 'missing_in_log' : !theirs.has(k) ? 'missing_in_export' : 'mismatch';
    const beyond = kind === 'mismatch' ? metrics.filter((m) => m.relDiff > tolerance) : metrics;
    if (beyond.length === 0 || (kind !== 'mismatch' && beyond.every((m) => m.ours === 0 && m.theirs === 0))) continue;
    report.discrepancies.push({ day, model, kind, metrics: beyond, hint: hintFor(kind, beyond, metrics, tolerance), explainers: (explainers.get(k) ?? []).slice(0, max) });
  }
  report.notCompared.days = skippedDays.size;
  return report;
}

export const relDiff = (a: number, b: number): number => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));

function hintFor(kind: Discrepancy['kind'], beyond: Discrepancy['metrics'], all: Discrepancy['metrics'], tolerance: number): string {
  if (kind === 'missing_in_export') return 'Tollgate logged requests for this day and model but the export has no row: a missing day in the export, or traffic billed to another account/project.';
  if (kind === 'missing_in_log') return 'The vendor billed usage Tollgate never logged: traffic that bypassed Tollgate, or a lost/unwritten decision log.';
  const m = (x: Metric) => all.find((a) => a.metric === x);
  const tokensAgree = (['inputTokens', 'outputTokens'] as const).every((x) => !m(x) || m(x)!.relDiff <= tolerance);
  const cost = beyond.find((b) => b.metric === 'costMicros');
  if (cost && tokensAgree) return `Tokens agree but cost differs (vendor/Tollgate = ${(cost.theirs / Math.max(1, cost.ours)).toFixed(3)}): the vendor's price differs from the policy's — a price change or a wrong price override.`;
  const req = m('requests');
  if (req && req.theirs > req.ours) return `The export has ${req.theirs - req.ours} more request(s) than the log: a double-submitted or retried request, or failed attempts the vendor billed (see the requests listed).`;
  if (req && req.theirs < req.ours) return `The log has ${req.ours - req.theirs} more request(s) than the export: requests logged here but not billed (or billed on another day).`;
  return 'Token totals differ beyond tolerance with equal request counts: estimated token counts or a vendor-side counting change (see the requests listed).';
}
