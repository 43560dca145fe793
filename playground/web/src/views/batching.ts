import { api, ApiError } from '../api';
import { h, mount, uid } from '../dom';
import { count, money, num, pct } from '../format';
import { sortableTable } from '../sortable-table';
import type { BatchTradeoff, BatchTradeoffAnswer, BatchTradeoffRow, PolicyText } from '../types';

export interface BatchingDeps {
  policies: () => { label: string; policy: PolicyText }[];
  traceId: () => string;
}

/**
 * The batching trade-off of a policy's self-hosted models: the trace replayed once per point of each
 * model's throughput curve (queue and autoscaler on). Larger batches: cheaper tokens and fewer GPU-hours,
 * slower answers.
 */
export function batchingView(panel: HTMLElement, deps: BatchingDeps): void {
  const id = uid('batching');
  const policySel = h('select', { id: `${id}-policy`, 'data-testid': 'batching-policy' }, deps.policies().map((p, i) => h('option', { value: i }, p.label)));
  const out = h('div', { 'aria-live': 'polite', 'data-testid': 'batching-result' });
  const sweep = h('button', { type: 'button', className: 'primary', 'data-testid': 'batching-run', onclick: async () => {
    const p = deps.policies()[Number(policySel.value)];
    if (!p) return;
    sweep.disabled = true;
    mount(out, h('p', { className: 'muted' }, 'Replaying the trace at each batch size…'));
    try {
      render(out, await api.batchTradeoff(p.policy, deps.traceId()));
    } catch (err) {
      mount(out, h('p', { className: 'bad' }, `✗ ${err instanceof ApiError ? err.message : String(err)}`));
    } finally {
      sweep.disabled = false;
    }
  } }, 'Sweep batch sizes');
  panel.append(
    h('p', { className: 'muted' }, 'Self-hosted models with a measured throughput curve (capacity.throughput), replayed with the serving engine capped at each batch size of the curve (queue and autoscaler on). Larger batches: cheaper tokens and fewer GPU-hours once traffic fills them, slower answers; small caps make requests queue. The router prices the model from its curve, so a cap also moves traffic to or from vendor models. The cheapest policy total is in bold.'),
    h('div', { className: 'row wrap' }, h('div', { className: 'field' }, h('label', { for: policySel.id }, 'Policy'), policySel), sweep),
    out);
}

function render(out: HTMLElement, a: BatchTradeoffAnswer): void {
  if (a.tradeoffs.length === 0) {
    mount(out, h('p', { className: 'muted', 'data-testid': 'batching-empty' }, `Policy ${a.policy.name} has no self-hosted model with a throughput curve of more than one point.`));
    return;
  }
  mount(out, a.tradeoffs.map((t) => table(t, a.trace.requests)));
}

function table(t: BatchTradeoff, requests: number): HTMLElement {
  const best = Math.min(...t.rows.map((r) => r.policyFullCostMicros));
  return sortableTable(`${t.model}: ${count(requests)} requests at each batch size`, [
    { key: 'maxBatch', label: 'Max batch', numeric: true, value: (r) => r.maxBatch, cell: (r) => v(r, 'maxBatch', String(r.maxBatch)) },
    { key: 'share', label: 'Share of traffic', numeric: true, value: (r) => r.share, cell: (r) => v(r, 'share', pct(r.share)) },
    { key: 'policy', label: 'Policy total', numeric: true, value: (r) => r.policyFullCostMicros, cell: (r) => v(r, 'policyFullCostMicros', money(r.policyFullCostMicros), r.policyFullCostMicros === best) },
    { key: 'infra', label: 'Infra cost', numeric: true, value: (r) => r.infraCostMicros, cell: (r) => v(r, 'infraCostMicros', money(r.infraCostMicros)) },
    { key: 'perM', label: 'Infra / 1M tokens', numeric: true, value: (r) => r.infraPerMillionMicros, cell: (r) => money(r.infraPerMillionMicros) },
    { key: 'busyPerM', label: 'Busy GPU / 1M tokens', numeric: true, value: (r) => r.busyPerMillionMicros, cell: (r) => money(r.busyPerMillionMicros) },
    { key: 'idle', label: 'Idle GPU cost', numeric: true, value: (r) => r.idleCostMicros, cell: (r) => money(r.idleCostMicros) },
    { key: 'util', label: 'Utilization', numeric: true, value: (r) => r.utilization, cell: (r) => v(r, 'utilization', pct(r.utilization)) },
    { key: 'gpuh', label: 'GPU-hours', numeric: true, value: (r) => r.provisionedGpuHours, cell: (r) => num(r.provisionedGpuHours) },
    { key: 'peak', label: 'Peak replicas', numeric: true, value: (r) => r.peakReplicas, cell: (r) => v(r, 'peakReplicas', String(r.peakReplicas)) },
    { key: 'p50', label: 'Latency p50 (ms)', numeric: true, value: (r) => r.latencyP50Ms, cell: (r) => num(r.latencyP50Ms) },
    { key: 'p99', label: 'Latency p99 (ms)', numeric: true, value: (r) => r.latencyP99Ms, cell: (r) => v(r, 'latencyP99Ms', num(r.latencyP99Ms)) },
    { key: 'q99', label: 'Queue p99 (ms)', numeric: true, value: (r) => r.queueP99Ms, cell: (r) => num(r.queueP99Ms) },
  ], t.rows, { sortKey: 'maxBatch', testId: `batching-table-${t.model}` });
}

/** A cell that keeps its exact value for tests and tools (`data-field`, `data-value`). */
function v(r: BatchTradeoffRow, field: keyof BatchTradeoffRow, text: string, strong = false): HTMLElement {
  return h(strong ? 'strong' : 'span', { 'data-field': field, 'data-value': r[field] }, text);
}
