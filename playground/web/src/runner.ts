import { api, ApiError, simulate } from './api';
import { h, mount, uid } from './dom';
import { count, seconds } from './format';
import type { PolicyText, SimulationResult } from './types';

export interface RunnerDeps {
  policies: () => PolicyText[];
  /** Why the run cannot start now (invalid policy…), or undefined when it can. */
  blocked: () => string | undefined;
  traceId: () => string;
  onResult: (result: SimulationResult, wallMs: number) => void;
}

/** Run and Cancel buttons with a progress bar fed by the server's NDJSON progress events. */
export class Runner {
  private readonly run: HTMLButtonElement;
  private readonly cancel: HTMLButtonElement;
  private readonly bar: HTMLProgressElement;
  private readonly status: HTMLElement;
  private ctrl: AbortController | undefined;
  private runId: string | undefined;

  constructor(root: HTMLElement, private readonly deps: RunnerDeps) {
    const id = uid('run');
    this.run = h('button', { type: 'button', className: 'primary', 'data-testid': 'run', onclick: () => void this.start() }, 'Run simulation');
    this.cancel = h('button', { type: 'button', className: 'secondary', 'data-testid': 'cancel', disabled: true, onclick: () => void this.stop() }, 'Cancel');
    this.bar = h('progress', { id: `${id}-progress`, max: 1, value: 0 });
    this.status = h('p', { role: 'status', 'aria-live': 'polite', className: 'muted', 'data-testid': 'run-status' }, 'Ready.');
    mount(root, h('div', { className: 'row' }, this.run, this.cancel),
      h('label', { for: this.bar.id, className: 'progress-label' }, 'Progress'), this.bar, this.status);
  }

  /** Re-checks whether Run is allowed (policies valid). */
  update(): void {
    const why = this.deps.blocked();
    if (!this.ctrl) this.run.disabled = !!why;
    if (why && !this.ctrl) mount(this.status, why);
    else if (!this.ctrl && this.status.textContent !== 'Ready.' && !this.status.dataset.done) mount(this.status, 'Ready.');
  }

  private async start(): Promise<void> {
    if (this.deps.blocked()) return;
    const ctrl = (this.ctrl = new AbortController());
    const started = performance.now();
    this.run.disabled = true;
    this.cancel.disabled = false;
    this.bar.value = 0;
    delete this.status.dataset.done;
    mount(this.status, 'Starting…');
    try {
      await simulate(this.deps.policies(), this.deps.traceId(), (e) => {
        if (e.type === 'start') {
          this.runId = e.runId;
          mount(this.status, `Simulating ${count(e.trace.requests)} requests with ${e.policies.join(', ')}…`);
        } else if (e.type === 'progress') {
          this.bar.max = Math.max(1, e.total);
          this.bar.value = e.done;
          mount(this.status, `${count(e.done)} of ${count(e.total)} requests (${seconds(e.elapsedMs)})`);
        } else if (e.type === 'result') {
          const wall = performance.now() - started;
          this.bar.value = this.bar.max;
          this.status.dataset.done = '1';
          mount(this.status, h('span', { 'data-testid': 'run-time', 'data-ms': Math.round(wall), 'data-server-ms': e.elapsedMs },
            `Simulated ${count(e.report.trace.requests)} requests × ${e.report.policies.length} policies in ${seconds(wall)} (engine ${seconds(e.elapsedMs)}).`),
            e.report.trace.skipped ? ` ${count(e.report.trace.skipped)} malformed rows skipped.` : '');
          this.deps.onResult(e, wall);
        } else if (e.type === 'cancelled') {
          mount(this.status, 'Cancelled.');
        } else if (e.type === 'error') {
          mount(this.status, h('span', { className: 'bad' }, `✗ ${e.message}`));
        }
      }, ctrl.signal);
    } catch (err) {
      if (ctrl.signal.aborted) mount(this.status, 'Cancelled.');
      else {
        const e = err instanceof ApiError ? err : undefined;
        mount(this.status, h('span', { className: 'bad' }, `✗ ${e?.message ?? String(err)}`),
          e?.issues.length ? h('ul', { className: 'issues' }, e.issues.map((i) => h('li', {}, h('code', {}, i.path || '(root)'), ' ', i.message))) : null);
      }
    } finally {
      this.ctrl = undefined;
      this.runId = undefined;
      this.cancel.disabled = true;
      this.run.disabled = !!this.deps.blocked();
    }
  }

  private async stop(): Promise<void> {
    const id = this.runId;
    if (id) await api.cancel(id).catch(() => undefined);
    this.ctrl?.abort();
    this.run.focus();
  }
}
