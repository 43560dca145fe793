import { BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartConfiguration } from 'chart.js';
import { h } from './dom';

Chart.register(LineController, LineElement, PointElement, BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip, Filler);
Chart.defaults.animation = false;
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.color = '#334155';

export const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2'];

/**
 * A chart in a labelled figure. The canvas is an image for assistive technology with `summary` as
 * its description (the same numbers are in the tables next to it).
 */
export function chartFigure(title: string, summary: string, config: ChartConfiguration, height = 260): HTMLElement {
  const canvas = h('canvas', { role: 'img', 'aria-label': `${title}. ${summary}` });
  const fig = h('figure', { className: 'chart' }, h('figcaption', {}, title), h('div', { className: 'chart-box', style: `height:${height}px` }, canvas));
  requestAnimationFrame(() => {
    config.options = { responsive: true, maintainAspectRatio: false, ...config.options };
    new Chart(canvas, config);
  });
  return fig;
}

/** Axis label for an epoch-ms bucket start: `Jun 03 14:00` (UTC). */
export function timeLabel(ms: number): string {
  const d = new Date(ms);
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${month} ${String(d.getUTCDate()).padStart(2, '0')} ${String(d.getUTCHours()).padStart(2, '0')}:00`;
}
