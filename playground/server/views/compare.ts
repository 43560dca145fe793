import type { PolicySimulation } from '../../../offline/simulation/index.js';

/** How a metric is shown: money (µ$), tokens, a count, a ratio in [0, 1] or a plain number. */
export type MetricKind = 'micros' | 'tokens' | 'count' | 'ratio' | 'number';

/** One row of the side-by-side comparison: values per policy and their difference from the first. */
export interface CompareRow {
  key: string;
  label: string;
  kind: MetricKind;
  /** Whether a lower value is the better one (drives the highlight); undefined: neutral. */
  lowerIsBetter?: boolean;
  values: (number | null)[];
  /** `values[i] - values[0]` (null for the baseline or a missing value). */
  deltas: (number | null)[];
  /** `deltas[i] / values[0]` when the baseline is non-zero. */
  relative: (number | null)[];
  /** Per policy: `better`, `worse` or `same` against the baseline. */
  verdict: ('better' | 'worse' | 'same' | 'baseline' | 'neutral')[];
}

type Metric = { key: string; label: string; kind: MetricKind; lowerIsBetter?: boolean; get: (p: PolicySimulation) => number | undefined };

const tokensPerRequest = (p: PolicySimulation): number | undefined => (p.requests ? Math.round(((p.inputTokens + p.outputTokens) / p.requests) * 10) / 10 : undefined);

/** Busy ÷ provisioned GPU-hours over the policy's self-hosted fleets; undefined without any. */
function selfHostedUtilization(p: PolicySimulation): number | undefined {
  let busy = 0;
  let provisioned = 0;
  for (const m of Object.values(p.byModel)) {
    if (!m.capacity) continue;
    busy += m.capacity.busyGpuHours;
    provisioned += m.capacity.provisionedGpuHours;
  }
  return provisioned > 0 ? Math.round((busy / provisioned) * 1e6) / 1e6 : undefined;
}

/** The largest latency p99 among the self-hosted models that served requests. */
function selfHostedP99(p: PolicySimulation): number | undefined {
  let worst: number | undefined;
  for (const m of Object.values(p.byModel)) if (m.capacity && m.latencyP99Ms !== undefined) worst = Math.max(worst ?? 0, m.latencyP99Ms);
  return worst;
}

export const METRICS: Metric[] = [
  { key: 'requests', label: 'Requests', kind: 'count', get: (p) => p.requests },
  { key: 'fullCostMicros', label: 'Full cost (vendor + infra + ops)', kind: 'micros', lowerIsBetter: true, get: (p) => p.fullCostMicros },
  { key: 'vendorCostMicros', label: 'Vendor-only cost', kind: 'micros', lowerIsBetter: true, get: (p) => p.vendorCostMicros },
  { key: 'infraCostMicros', label: 'Infra cost (own GPUs)', kind: 'micros', get: (p) => p.infraCostMicros },
  { key: 'opsCostMicros', label: 'Ops cost', kind: 'micros', lowerIsBetter: true, get: (p) => p.opsCostMicros },
  // Self-hosted fleets (docs/capacity.md): the idle part of the infra cost, how busy the GPUs were, and the
  // slowest self-hosted p99 (queue + service) — a larger batch is cheaper per token and slower per answer.
  { key: 'idleCostMicros', label: 'Idle GPU cost (provisioned, unused)', kind: 'micros', lowerIsBetter: true, get: (p) => p.idleCostMicros },
  { key: 'selfHostedUtilization', label: 'Self-hosted GPU utilization', kind: 'ratio', lowerIsBetter: false, get: selfHostedUtilization },
  { key: 'selfHostedLatencyP99Ms', label: 'Self-hosted latency p99 (ms, queue + service)', kind: 'number', lowerIsBetter: true, get: selfHostedP99 },
  { key: 'fullPerMillionMicros', label: 'Full cost per 1M tokens', kind: 'micros', lowerIsBetter: true, get: (p) => p.fullPerMillionMicros },
  { key: 'vendorPerMillionMicros', label: 'Vendor cost per 1M tokens', kind: 'micros', lowerIsBetter: true, get: (p) => p.vendorPerMillionMicros },
  { key: 'inputTokens', label: 'Input tokens', kind: 'tokens', get: (p) => p.inputTokens },
  { key: 'outputTokens', label: 'Output tokens', kind: 'tokens', get: (p) => p.outputTokens },
  { key: 'tokensPerRequest', label: 'Tokens per request (inflation)', kind: 'number', lowerIsBetter: true, get: tokensPerRequest },
  { key: 'predictedQuality', label: 'Predicted quality (mean)', kind: 'ratio', lowerIsBetter: false, get: (p) => p.quality.predictedMean },
  { key: 'observedQuality', label: 'Observed quality (labels)', kind: 'ratio', lowerIsBetter: false, get: (p) => p.quality.observedMean },
  { key: 'cacheHitRatio', label: 'Cache hit ratio', kind: 'ratio', lowerIsBetter: false, get: (p) => p.cacheHitRatio },
  { key: 'refusedBudget', label: 'Refused: budget', kind: 'count', lowerIsBetter: true, get: (p) => p.refused.budget },
  { key: 'refusedRateLimit', label: 'Refused: rate limit', kind: 'count', lowerIsBetter: true, get: (p) => p.refused.rateLimit },
  { key: 'refusedOther', label: 'Refused: other', kind: 'count', lowerIsBetter: true, get: (p) => p.refused.other },
  { key: 'errors', label: 'Errors', kind: 'count', lowerIsBetter: true, get: (p) => p.errors },
];

/** The comparison table: every metric for every policy, the first policy as the baseline. */
export function compareRows(policies: PolicySimulation[]): CompareRow[] {
  return METRICS.map((m) => {
    const values = policies.map((p) => m.get(p) ?? null);
    const base = values[0] ?? null;
    const deltas = values.map((v, i) => (i === 0 || v === null || base === null ? null : round(v - base)));
    const relative = deltas.map((d) => (d === null || !base ? null : d / base));
    const verdict = deltas.map((d, i) => {
      if (i === 0) return 'baseline' as const;
      if (m.lowerIsBetter === undefined || d === null) return 'neutral' as const;
      if (d === 0) return 'same' as const;
      return (d < 0) === m.lowerIsBetter ? ('better' as const) : ('worse' as const);
    });
    return { key: m.key, label: m.label, kind: m.kind, lowerIsBetter: m.lowerIsBetter, values, deltas, relative, verdict };
  });
}

/** Integers stay exact; fractions are kept to 6 decimals. */
const round = (x: number): number => (Number.isInteger(x) ? x : Math.round(x * 1e6) / 1e6);
