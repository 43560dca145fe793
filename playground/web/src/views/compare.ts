import { h } from '../dom';
import { byKind, deltaByKind, money, pct, signedPct } from '../format';
import type { SimulationResult } from '../types';

/** Side-by-side comparison: every metric per policy, the difference from policy A highlighted. */
export function compareView(panel: HTMLElement, r: SimulationResult): void {
  const names = r.report.policies.map((p) => p.name);
  const cards = h('div', { className: 'cards' }, r.report.policies.map((p, i) =>
    h('div', { className: `kpi policy-${i}` },
      h('h3', {}, p.name, h('span', { className: 'muted small' }, ` ${p.version.slice(0, 8)}`)),
      h('p', { className: 'big', 'data-testid': `kpi-full-${i}`, 'data-value': p.fullCostMicros }, money(p.fullCostMicros)),
      h('p', { className: 'muted' }, `vendor-only ${money(p.vendorCostMicros)} · ${money(p.fullPerMillionMicros)} / 1M tokens · quality ${pct(p.quality.predictedMean)}`))));
  const head = h('tr', {}, h('th', { scope: 'col' }, 'Metric'),
    names.map((n, i) => [
      h('th', { scope: 'col', className: 'num' }, n),
      i > 0 ? h('th', { scope: 'col', className: 'num' }, `Δ vs ${names[0]}`) : null,
    ]));
  const rows = r.compare.map((row) => h('tr', { 'data-metric': row.key },
    h('th', { scope: 'row' }, row.label),
    row.values.map((v, i) => [
      h('td', { className: 'num', 'data-testid': `total-${row.key}-${i}`, 'data-value': v ?? '' }, byKind(row.kind, v)),
      i > 0 ? h('td', { className: `num delta ${row.verdict[i]}`, 'data-verdict': row.verdict[i] },
        deltaByKind(row.kind, row.deltas[i]),
        row.relative[i] !== null && row.kind !== 'ratio' ? h('span', { className: 'rel' }, ` (${signedPct(row.relative[i])})`) : null,
        row.verdict[i] === 'better' ? h('span', { className: 'visually-hidden' }, ' better') : row.verdict[i] === 'worse' ? h('span', { className: 'visually-hidden' }, ' worse') : null) : null,
    ])));
  panel.append(cards,
    h('div', { className: 'table-wrap' }, h('table', { className: 'compare', 'data-testid': 'compare-table' },
      h('caption', {}, `Side by side over ${r.report.trace.requests.toLocaleString('en-US')} requests; differences against ${names[0]} — green is better, red is worse`),
      h('thead', {}, head), h('tbody', {}, rows))));
}
