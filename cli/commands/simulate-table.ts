import type { PolicySimulation, SimulationReport } from '../../offline/simulation/index.js';
import { int, pct, renderTable, usd } from '../format-table.js';

/** Keys seen in any policy's breakdown, in first-seen order. */
function keysOf(policies: PolicySimulation[], pick: (p: PolicySimulation) => Record<string, unknown>): string[] {
  const keys = new Set<string>();
  for (const p of policies) for (const k of Object.keys(pick(p))) keys.add(k);
  return [...keys];
}

/**
 * The side-by-side comparison `tollgate simulate` prints: one column per policy; totals, cost per 1M
 * tokens, quality, refusals, savings against the first policy, then shares per tier and model and
 * spend per tenant. Every figure comes from the report (faces never price anything).
 */
export function formatSimulationTable(report: SimulationReport): string {
  const ps = report.policies;
  const base = ps[0]!;
  const row = (label: string, f: (p: PolicySimulation) => string): string[] => [label, ...ps.map(f)];
  const rows: (string[] | string)[] = [
    row('version', (p) => p.version),
    row('requests', (p) => int(p.requests)),
    row('input tokens', (p) => int(p.inputTokens)),
    row('output tokens', (p) => int(p.outputTokens)),
    row('full cost', (p) => usd(p.fullCostMicros)),
    row('  vendor', (p) => usd(p.vendorCostMicros)),
    row('  infra', (p) => usd(p.infraCostMicros)),
    row('    of which idle GPUs', (p) => usd(p.idleCostMicros)),
    row('  ops', (p) => usd(p.opsCostMicros)),
    row('full cost / 1M tokens', (p) => usd(p.fullPerMillionMicros)),
    row('vendor cost / 1M tokens', (p) => usd(p.vendorPerMillionMicros)),
    row(`savings vs ${base.name}`, (p) => (p === base ? '—' : savings(base, p))),
    row('predicted quality', (p) => p.quality.predictedMean.toFixed(3)),
    row('simulated quality', (p) => (p.quality.observedMean === undefined ? '—' : p.quality.observedMean.toFixed(3))),
    row('refused: budget', (p) => int(p.refused.budget)),
    row('refused: rate limit', (p) => int(p.refused.rateLimit)),
    row('refused: other', (p) => int(p.refused.other)),
    row('errors', (p) => int(p.errors)),
    'share of requests per tier',
  ];
  for (const t of keysOf(ps, (p) => p.byTier)) rows.push(row(`  ${t}`, (p) => share(p.byTier[t]?.share)));
  rows.push('share of requests per model');
  for (const m of keysOf(ps, (p) => p.byModel)) rows.push(row(`  ${m}`, (p) => share(p.byModel[m]?.share)));
  const selfHosted = keysOf(ps, (p) => Object.fromEntries(Object.entries(p.byModel).filter(([, m]) => m.capacity)));
  if (selfHosted.length) {
    rows.push('self-hosted fleets (provisioned GPU-hours, docs/capacity.md)');
    for (const m of selfHosted) {
      const cell = (f: (c: NonNullable<PolicySimulation['byModel'][string]['capacity']>, s: PolicySimulation['byModel'][string]) => string) => (p: PolicySimulation) => {
        const s = p.byModel[m];
        return s?.capacity ? f(s.capacity, s) : '—';
      };
      rows.push(row(`  ${m} utilization`, cell((c) => pct(c.utilization))));
      rows.push(row(`  ${m} GPU-hours`, cell((c) => `${c.provisionedGpuHours.toFixed(1)} (${c.busyGpuHours.toFixed(2)} busy)`)));
      rows.push(row(`  ${m} infra / idle`, cell((_c, s) => `${usd(s.infraCostMicros)} / ${usd(s.idleCostMicros)}`)));
      rows.push(row(`  ${m} latency p50/p99`, cell((_c, s) => (s.latencyP50Ms === undefined ? '—' : `${ms(s.latencyP50Ms)} / ${ms(s.latencyP99Ms!)}`))));
      rows.push(row(`  ${m} break-even`, cell((c) => (c.breakEven?.requestsPerHour === undefined ? '—' : `${int(Math.round(c.breakEven.requestsPerHour))} req/h vs ${c.breakEven.vendorModel} (now ${int(Math.round(c.breakEven.observedRequestsPerHour))}, fleet max ${int(Math.round(c.breakEven.capacityRequestsPerHour))})`))));
    }
  }
  rows.push('full cost per tenant');
  for (const t of keysOf(ps, (p) => p.byTenant)) {
    rows.push(
      row(`  ${t}`, (p) => {
        const s = p.byTenant[t];
        if (!s) return '—';
        const budget = s.budgetMicros === undefined ? '' : ` / ${usd(s.budgetMicros)}`;
        return `${usd(s.fullCostMicros)}${budget}${s.refused ? ` (${int(s.refused)} refused)` : ''}`;
      }),
    );
  }
  return renderTable(['policy', ...ps.map((p) => p.name)], rows);
}

function savings(base: PolicySimulation, p: PolicySimulation): string {
  const saved = base.fullCostMicros - p.fullCostMicros;
  const frac = base.fullCostMicros ? saved / base.fullCostMicros : 0;
  return `${usd(saved)} (${pct(frac)})`;
}

const ms = (x: number): string => (x >= 10_000 ? `${(x / 1000).toFixed(0)} s` : x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);

const share = (x: number | undefined): string => (x === undefined ? '—' : pct(x));

/** One line about the trace read: file, requests, skipped rows. */
export function formatTraceLine(report: SimulationReport, seconds: number): string {
  const t = report.trace;
  const skipped = t.skipped ? `, ${int(t.skipped)} malformed rows skipped` : '';
  return `trace ${t.file ?? '(stream)'}: ${int(t.requests)} requests${skipped}; ${report.policies.length} policies simulated in ${seconds.toFixed(1)} s\n`;
}
