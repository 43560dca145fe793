import { h } from '../dom';
import { count, money, num } from '../format';
import { sortableTable } from '../sortable-table';
import type { OnCallView } from '../types';

const GUARD_RANK: Record<string, number> = { normal: 0, warned: 1, downgraded: 2, throttled: 3, refused: 4 };
const GUARD_CLASS: Record<string, string> = { warned: 'warn', downgraded: 'warn', throttled: 'bad', refused: 'bad' };

/** Burn rates, guard and breaker states, alerts and the tenants spending most in the last hour (from decision records). */
export function oncallBlock(title: string, v: OnCallView | undefined): HTMLElement {
  if (!v) return h('section', { className: 'block' }, h('h3', {}, title), h('p', { className: 'muted' }, 'No decision records for this run.'));
  const counts = Object.entries(v.alertCounts);
  return h('section', { className: 'block', 'aria-label': title },
    h('h3', {}, title),
    h('p', { className: 'muted' }, `“Now” is ${v.now ?? '—'} (the last record), ${count(v.records)} records replayed through the alert monitor. `,
      counts.length ? `Alerts: ${counts.map(([k, n]) => `${count(n)} ${k}`).join(', ')}.` : 'No alerts.'),
    sortableTable(`${title}: top tenants in the last hour`, [
      { key: 'tenant', label: 'Tenant', value: (t) => t.tenant },
      { key: 'spend', label: 'Spend, last hour', numeric: true, value: (t) => t.lastHourMicros, cell: (t) => money(t.lastHourMicros) },
      { key: 'req', label: 'Requests', numeric: true, value: (t) => t.lastHourRequests, cell: (t) => count(t.lastHourRequests) },
      { key: 'burn', label: 'Burn rate', numeric: true, value: (t) => t.burnRate, cell: (t) => t.burnRate === undefined ? 'no budget' :
        h('span', { className: t.burnRate >= 14.4 ? 'bad' : t.burnRate >= 6 ? 'warn' : '' }, `${num(t.burnRate)}× of ${t.budgetWindow} budget ${money(t.budgetMicros)}`) },
      { key: 'refused', label: 'Refused', numeric: true, value: (t) => t.refusedLastHour, cell: (t) => count(t.refusedLastHour) },
    ], v.topTenants, { sortKey: 'spend', descending: true }),
    v.guards?.length ? sortableTable(`${title}: tenant guard states`, [
      { key: 'tenant', label: 'Tenant', value: (g) => g.tenant },
      { key: 'state', label: 'Guard', value: (g) => GUARD_RANK[g.state] ?? 0, cell: (g) => h('span', { className: `guard ${GUARD_CLASS[g.state] ?? ''}`, 'data-state': g.state }, g.state) },
      { key: 'since', label: 'Since', value: (g) => g.since ?? '', cell: (g) => g.since ?? '—' },
      { key: 'action', label: 'Last action', value: (g) => g.lastAction ?? '', cell: (g) => g.lastAction ?? '—' },
      { key: 'reset', label: 'Back to normal at', value: (g) => g.resetAt ?? '', cell: (g) => g.resetAt ?? '—' },
      { key: 'moves', label: 'Transitions', numeric: true, value: (g) => g.transitions, cell: (g) => count(g.transitions) },
    ], v.guards, { sortKey: 'state', descending: true, testId: 'oncall-guards' }) : null,
    v.breakers?.length ? sortableTable(`${title}: circuit breakers`, [
      { key: 'model', label: 'Model', value: (c) => c.model },
      { key: 'state', label: 'Circuit', value: (c) => c.state, cell: (c) => h('span', { className: c.state === 'closed' ? '' : 'bad', 'data-state': c.state }, c.state) },
      { key: 'failures', label: 'Failures in a row', numeric: true, value: (c) => c.failures, cell: (c) => count(c.failures) },
      { key: 'until', label: 'Open until', value: (c) => c.openUntil ?? '', cell: (c) => c.openUntil ?? '—' },
    ], v.breakers, { sortKey: 'model', testId: 'oncall-breakers' }) : null,
    v.alerts.length ? h('div', { className: 'scroll' }, sortableTable(`${title}: latest ${Math.min(v.alerts.length, 50)} alerts`, [
      { key: 'at', label: 'At', value: (a) => a.at },
      { key: 'sev', label: 'Severity', value: (a) => a.severity },
      { key: 'kind', label: 'Kind', value: (a) => a.kind },
      { key: 'tenant', label: 'Tenant', value: (a) => a.tenant },
      { key: 'msg', label: 'Message', value: (a) => a.message },
    ], v.alerts.slice(-50), { sortKey: 'at', descending: true })) : null);
}
