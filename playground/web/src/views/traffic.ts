import { chartFigure, PALETTE } from '../charts';
import { h } from '../dom';
import { count, money, pct, tokens } from '../format';
import { sortableTable } from '../sortable-table';
import type { SimulationResult } from '../types';

/** Traffic share by tier and by model, predicted (and observed) quality, cache hit ratio. */
export function trafficView(panel: HTMLElement, r: SimulationResult): void {
  const ps = r.report.policies;
  const tiers = [...new Set(ps.flatMap((p) => Object.keys(p.byTier)))].sort();
  panel.append(
    h('div', { className: 'two' },
      chartFigure('Traffic share by tier', ps.map((p) => `${p.name}: ${Object.entries(p.byTier).map(([t, v]) => `${t} ${pct(v.share)}`).join(', ')}`).join('; '), {
        type: 'bar',
        data: {
          labels: ps.map((p) => p.name),
          datasets: tiers.map((t, i) => ({ label: t, data: ps.map((p) => (p.byTier[t]?.share ?? 0) * 100), backgroundColor: PALETTE[i % PALETTE.length] })),
        },
        options: { indexAxis: 'y', scales: { x: { stacked: true, max: 100, ticks: { callback: (v) => `${v}%` } }, y: { stacked: true } } },
      }, 200),
      chartFigure('Quality and cache hits', ps.map((p) => `${p.name}: predicted quality ${pct(p.quality.predictedMean)}, cache hits ${pct(p.cacheHitRatio)}`).join('; '), {
        type: 'bar',
        data: {
          labels: ps.map((p) => p.name),
          datasets: [
            { label: 'Predicted quality', data: ps.map((p) => p.quality.predictedMean * 100), backgroundColor: '#059669' },
            { label: 'Observed quality (labels)', data: ps.map((p) => (p.quality.observedMean ?? 0) * 100), backgroundColor: '#6ee7b7' },
            { label: 'Cache hit ratio', data: ps.map((p) => p.cacheHitRatio * 100), backgroundColor: '#a78bfa' },
          ],
        },
        options: { scales: { y: { beginAtZero: true, max: 100, ticks: { callback: (v) => `${v}%` } } } },
      }, 200)),
    ...ps.map((p) =>
      sortableTable(`${p.name}: traffic by model`, [
        { key: 'model', label: 'Model', value: (m) => m.model },
        { key: 'requests', label: 'Requests', numeric: true, value: (m) => m.requests, cell: (m) => count(m.requests) },
        { key: 'share', label: 'Share', numeric: true, value: (m) => m.share, cell: (m) => pct(m.share) },
        { key: 'in', label: 'Input', numeric: true, value: (m) => m.inputTokens, cell: (m) => tokens(m.inputTokens) },
        { key: 'out', label: 'Output', numeric: true, value: (m) => m.outputTokens, cell: (m) => tokens(m.outputTokens) },
        { key: 'full', label: 'Full cost', numeric: true, value: (m) => m.fullCostMicros, cell: (m) => money(m.fullCostMicros) },
        { key: 'vendor', label: 'Vendor cost', numeric: true, value: (m) => m.vendorCostMicros, cell: (m) => money(m.vendorCostMicros) },
      ], Object.entries(p.byModel).map(([model, m]) => ({ model, ...m })), { sortKey: 'requests', descending: true })),
  );
}
