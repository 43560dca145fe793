import { chartFigure } from '../charts';
import { h } from '../dom';
import { money, moneyTick, signedPct } from '../format';
import type { ExecutiveView } from '../types';

/** Spend, trend and the month-end forecast (all computed by the server) for one policy or log. */
export function executiveBlock(title: string, v: ExecutiveView): HTMLElement {
  const trend = v.trendRatio;
  return h('section', { className: 'block', 'aria-label': title },
    h('h3', {}, title),
    h('div', { className: 'cards' },
      kpi('Spend (full)', money(v.spendMicros), `vendor-only ${money(v.vendorMicros)}`),
      kpi('Trend', trend === undefined ? '—' : signedPct(trend), `last ${windowLabel(v.windowHours)} vs the ${windowLabel(v.windowHours)} before`, trend === undefined ? '' : trend > 0 ? 'worse' : 'better'),
      kpi(`Forecast, end of ${v.month ?? 'month'}`, money(v.forecastMonthEndMicros), `${money(v.monthToDateMicros)} so far + ${money(v.dailyRunRateMicros)}/day × ${v.daysLeftInMonth} days left`)),
    v.days.length ? chartFigure(`${title}: spend per day`, v.days.map((d) => `${d.day} ${money(d.fullCostMicros)}`).join(', '), {
      type: 'bar',
      data: {
        labels: v.days.map((d) => d.day.slice(5)),
        datasets: [
          { label: 'Full', data: v.days.map((d) => d.fullCostMicros / 1_000_000), backgroundColor: '#2563eb' },
          { label: 'Vendor only', data: v.days.map((d) => d.vendorCostMicros / 1_000_000), backgroundColor: '#93c5fd' },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { callback: (x) => moneyTick(Number(x)) } } } },
    }, 200) : h('p', { className: 'muted' }, 'No spend recorded.'));
}

const windowLabel = (h: number): string => (h % 24 === 0 ? `${h / 24} day${h === 24 ? '' : 's'}` : `${h} h`);

function kpi(label: string, value: string, note: string, cls = ''): HTMLElement {
  return h('div', { className: 'kpi' }, h('p', { className: 'muted' }, label), h('p', { className: `big ${cls}` }, value), h('p', { className: 'muted small' }, note));
}
