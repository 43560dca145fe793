import { chartFigure, PALETTE, timeLabel } from '../charts';
import { h } from '../dom';
import { money, moneyTick, num } from '../format';
import type { SimulationResult } from '../types';

/** Union of every policy's bucket starts, in order (the policies share the trace's time axis). */
function axis(r: SimulationResult): number[] {
  const s = new Set<number>();
  for (const p of r.report.policies) for (const b of p.timeline) s.add(b.start);
  return [...s].sort((a, b) => a - b);
}

/** Cost over time (full vs vendor-only), cost per 1M tokens, and token inflation over time. */
export function costView(panel: HTMLElement, r: SimulationResult): void {
  const starts = axis(r);
  const labels = starts.map(timeLabel);
  const series = (pick: (b: SimulationResult['report']['policies'][number]['timeline'][number]) => number, scale = 1) =>
    r.report.policies.map((p) => {
      const by = new Map(p.timeline.map((b) => [b.start, b]));
      return starts.map((s) => {
        const b = by.get(s);
        return b ? pick(b) / scale : null;
      });
    });
  const full = series((b) => b.fullCostMicros, 1_000_000);
  const vendor = series((b) => b.vendorCostMicros, 1_000_000);
  const datasets = r.report.policies.flatMap((p, i) => [
    { label: `${p.name} — full`, data: full[i]!, borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length], borderWidth: 2, pointRadius: 0, tension: 0.2 },
    { label: `${p.name} — vendor only`, data: vendor[i]!, borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length], borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, tension: 0.2 },
  ]);
  const usdTicks = { callback: (v: string | number) => moneyTick(Number(v)) };
  panel.append(
    chartFigure('Cost per hour: full (solid) vs vendor-only (dashed)', r.report.policies.map((p) => `${p.name}: ${money(p.fullCostMicros)} full, ${money(p.vendorCostMicros)} vendor-only`).join('; '), {
      type: 'line',
      data: { labels, datasets },
      options: { interaction: { mode: 'index', intersect: false }, scales: { y: { ticks: usdTicks, title: { display: true, text: 'USD per hour' } }, x: { ticks: { maxTicksLimit: 12 } } } },
    }, 300),
    h('div', { className: 'two' },
      chartFigure('Cost per 1M tokens', r.report.policies.map((p) => `${p.name}: ${money(p.fullPerMillionMicros)} full, ${money(p.vendorPerMillionMicros)} vendor`).join('; '), {
        type: 'bar',
        data: {
          labels: r.report.policies.map((p) => p.name),
          datasets: [
            { label: 'Full', data: r.report.policies.map((p) => p.fullPerMillionMicros / 1_000_000), backgroundColor: '#2563eb' },
            { label: 'Vendor only', data: r.report.policies.map((p) => p.vendorPerMillionMicros / 1_000_000), backgroundColor: '#93c5fd' },
          ],
        },
        options: { scales: { y: { ticks: usdTicks, beginAtZero: true } } },
      }),
      chartFigure('Token inflation: tokens per request per hour', r.report.policies.map((p) => `${p.name}: ${num((p.inputTokens + p.outputTokens) / Math.max(1, p.requests))} overall`).join('; '), {
        type: 'line',
        data: {
          labels,
          datasets: r.report.policies.map((p, i) => ({ label: p.name, data: series((b) => b.tokensPerRequest)[i]!, borderColor: PALETTE[i % PALETTE.length], borderWidth: 1.5, pointRadius: 0, tension: 0.2 })),
        },
        options: { interaction: { mode: 'index', intersect: false }, scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { title: { display: true, text: 'tokens / request' } } } },
      })));
}
