import { api, ApiError } from '../api';
import { h, mount, uid } from '../dom';
import { count, money, pct, tokens } from '../format';
import { sortableTable } from '../sortable-table';
import type { DryRun, PolicyText } from '../types';

export interface DebugDeps {
  policies: () => { label: string; policy: PolicyText }[];
  traceId: () => string;
}

/** One request's decision as `decide()` sees it: candidates, predicted cost and quality, rule, fallbacks. */
export function debugView(panel: HTMLElement, deps: DebugDeps): void {
  const id = uid('debug');
  const policySel = h('select', { id: `${id}-policy` }, deps.policies().map((p, i) => h('option', { value: i }, p.label)));
  const reqSel = h('select', { id: `${id}-req`, 'data-testid': 'debug-request' }, h('option', { value: '' }, 'loading…'));
  const out = h('div', { 'aria-live': 'polite', 'data-testid': 'debug-result' });
  const explain = h('button', { type: 'button', className: 'primary', onclick: async () => {
    const p = deps.policies()[Number(policySel.value)];
    if (!p || !reqSel.value) return;
    explain.disabled = true;
    try {
      render(out, await api.explain(p.policy, deps.traceId(), reqSel.value));
    } catch (err) {
      mount(out, h('p', { className: 'bad' }, `✗ ${err instanceof ApiError ? err.message : String(err)}`));
    } finally {
      explain.disabled = false;
    }
  } }, 'Explain decision');
  panel.append(h('div', { className: 'row wrap' },
    h('div', { className: 'field' }, h('label', { for: policySel.id }, 'Policy'), policySel),
    h('div', { className: 'field grow' }, h('label', { for: reqSel.id }, 'Request from the trace'), reqSel),
    explain), out);
  api.traceRequests(deps.traceId()).then((rows) => mount(reqSel, rows.map((r) =>
    h('option', { value: r.id }, `${r.id} · ${r.tenant} · ${r.task ?? 'no task'} · ${r.promptTokens ?? '?'} prompt tokens`))))
    .catch((err: unknown) => mount(reqSel, h('option', { value: '' }, `cannot list requests: ${String(err)}`)));
}

function render(out: HTMLElement, d: DryRun): void {
  mount(out,
    h('dl', { className: 'facts' },
      fact('Rule fired', d.rule), fact('Chosen model', `${d.model} (${d.tier})`),
      fact('Predicted cost', money(d.predictedCostMicros)), fact('Predicted quality', pct(d.predictedQuality)),
      fact('Prompt', tokens(d.promptTokens)),
      fact('Classification', `${d.classification.task}, complexity ${d.classification.complexity.toFixed(2)}, ~${count(d.classification.predictedOutputTokens)} output tokens (${d.classification.source})`),
      fact('Fallback chain', d.fallbackChain.length ? d.fallbackChain.join(' → ') : 'none'),
      d.selfHostedLatency.map((l) => fact(`Service time on ${l.model}`, `${count(l.aloneMs)} ms alone … ${count(l.fullBatchMs)} ms in a batch of ${l.maxBatch} (no queue)`))),
    sortableTable('Candidates', [
      { key: 'model', label: 'Model', value: (c) => c.model, cell: (c) => (c.model === d.model ? h('strong', {}, `${c.model} ✓`) : c.model) },
      { key: 'tier', label: 'Tier', value: (c) => c.tier },
      { key: 'cost', label: 'Predicted cost', numeric: true, value: (c) => c.predictedCostMicros, cell: (c) => money(c.predictedCostMicros) },
      { key: 'q', label: 'Predicted quality', numeric: true, value: (c) => c.predictedQuality, cell: (c) => pct(c.predictedQuality) },
      { key: 'eligible', label: 'Eligible', value: (c) => (c.eligible ? 'yes' : 'no') },
      { key: 'reason', label: 'Why not', value: (c) => c.reason ?? '' },
    ], d.candidates, { sortKey: 'cost' }),
    h('pre', { className: 'explain' }, d.explanation));
}

const fact = (k: string, v: string) => [h('dt', {}, k), h('dd', {}, v)];
