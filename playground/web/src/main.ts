import './style.css';
import { api } from './api';
import { h, mount } from './dom';
import { count, money } from './format';
import { PolicyEditor } from './policy-editor';
import { Runner } from './runner';
import { sortableTable } from './sortable-table';
import { tabs, type Tab } from './tabs';
import { TracePicker } from './trace-picker';
import type { LogViews, SimulationResult } from './types';
import { batchingView } from './views/batching';
import { compareView } from './views/compare';
import { costView } from './views/cost';
import { debugView } from './views/debug';
import { executiveBlock } from './views/executive';
import { oncallBlock } from './views/oncall';
import { tenantsView } from './views/tenants';
import { trafficView } from './views/traffic';

const $ = (id: string): HTMLElement => document.getElementById(id)!;

async function main(): Promise<void> {
  const [examples, log] = await Promise.all([api.examples(), api.log().catch((): LogViews => ({ loaded: false }))]);
  const editor = new PolicyEditor($('policies'), $('add-policy') as HTMLButtonElement, examples);
  const byName = (n: string) => examples.find((e) => e.name === n);
  editor.add(byName('all-vendor') ?? examples[0]);
  editor.add(byName('cost-aware') ?? examples[1]);
  const picker = new TracePicker($('trace-picker'));
  await picker.refresh('bundled');

  const policyList = () => editor.slots.map((s, i) => {
    const v = s.validation();
    return { label: `Policy ${'ABCDEF'[i]}${v?.ok ? `: ${v.name}` : ''}`, policy: { text: s.text() } };
  });
  const runner = new Runner($('runner'), {
    policies: () => editor.slots.map((s) => ({ text: s.text() })),
    traceId: () => picker.selectedId,
    blocked: () => {
      const bad = editor.slots.findIndex((s) => s.validation()?.ok !== true);
      if (bad < 0) return undefined;
      return editor.slots[bad]!.validation() ? `Fix policy ${'ABCDEF'[bad]} to run.` : 'Checking policies…';
    },
    onResult: (result) => showResults(result),
  });
  editor.onChange(() => runner.update());
  runner.update();

  const views = $('views');
  const logTabs = (): Tab[] => (log.loaded ? [
    { id: 'log-exec', label: 'Log: executive', render: (p) => p.append(executiveBlock(`Decision log ${log.file}`, log.executive!)) },
    { id: 'log-oncall', label: 'Log: on-call', render: (p) => p.append(oncallBlock(`Decision log ${log.file}`, log.oncall)) },
    { id: 'log-debug', label: 'Log: decisions', render: (p) => p.append(sortableTable(`Latest ${count(log.recent?.length ?? 0)} of ${count(log.records ?? 0)} logged decisions`, [
      { key: 'time', label: 'Time', value: (r) => r.time },
      { key: 'id', label: 'Request', value: (r) => r.requestId },
      { key: 'tenant', label: 'Tenant', value: (r) => r.tenant },
      { key: 'rule', label: 'Rule', value: (r) => r.rule ?? '' },
      { key: 'model', label: 'Model', value: (r) => r.model ?? '' },
      { key: 'outcome', label: 'Outcome', value: (r) => r.outcome },
      { key: 'cost', label: 'Full cost', numeric: true, value: (r) => r.fullCostMicros, cell: (r) => money(r.fullCostMicros) },
    ], log.recent ?? [], { sortKey: 'time', descending: true })) },
  ] : []);
  const debugTab: Tab = { id: 'debug', label: 'Debug', render: (p) => debugView(p, { policies: policyList, traceId: () => picker.selectedId }) };
  const batchingTab: Tab = { id: 'batching', label: 'Batching', render: (p) => batchingView(p, { policies: policyList, traceId: () => picker.selectedId }) };
  mount(views, h('p', { className: 'muted' }, 'Run a simulation to see cost, traffic, tenants and the comparison.'), tabs([...logTabs(), debugTab, batchingTab], 'Views'));

  function showResults(r: SimulationResult): void {
    const list: Tab[] = [
      { id: 'compare', label: 'Compare', render: (p) => compareView(p, r) },
      { id: 'cost', label: 'Cost over time', render: (p) => costView(p, r) },
      { id: 'traffic', label: 'Traffic & quality', render: (p) => trafficView(p, r) },
      { id: 'tenants', label: 'Tenants', render: (p) => tenantsView(p, r) },
      { id: 'executive', label: 'Executive', render: (p) => r.views.forEach((v) => p.append(executiveBlock(v.name, v.executive))) },
      { id: 'oncall', label: 'On-call', render: (p) => r.views.forEach((v) => p.append(oncallBlock(v.name, v.oncall))) },
      debugTab,
      batchingTab,
      ...logTabs(),
    ];
    mount(views, tabs(list, 'Result views'));
    views.querySelector<HTMLElement>('[role=tab]')?.focus({ preventScroll: true });
  }
}

main().catch((err: unknown) => {
  mount(document.body, h('p', { className: 'bad' }, `The playground could not start: ${String(err)}`));
});
