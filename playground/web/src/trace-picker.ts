import { api, ApiError } from './api';
import { h, mount, uid } from './dom';
import { bytes, count } from './format';
import type { TraceSummary } from './types';

/**
 * Chooses the trace to simulate: the bundled one, an uploaded JSONL/CSV file (read by the CLI's
 * importers on the server; bad rows listed by line number), or the seeded generator.
 */
export class TracePicker {
  private traces: TraceSummary[] = [];
  private readonly select: HTMLSelectElement;
  private readonly info: HTMLElement;
  private readonly uploadResult: HTMLElement;
  private readonly listeners: (() => void)[] = [];

  constructor(root: HTMLElement) {
    const id = uid('trace');
    this.select = h('select', { id: `${id}-select`, 'data-testid': 'trace-select', onchange: () => this.changed() });
    this.info = h('p', { className: 'muted', 'data-testid': 'trace-info' });
    this.uploadResult = h('div', { role: 'status', 'aria-live': 'polite', 'data-testid': 'upload-result' });
    const file = h('input', { type: 'file', id: `${id}-file`, accept: '.jsonl,.ndjson,.csv,.txt' });
    const upload = h('button', { type: 'button', className: 'secondary', onclick: async () => {
      const f = file.files?.[0];
      if (!f) {
        mount(this.uploadResult, h('p', { className: 'bad' }, 'Choose a JSONL or CSV file first.'));
        return;
      }
      upload.disabled = true;
      mount(this.uploadResult, h('p', { className: 'muted' }, `Uploading ${f.name} (${bytes(f.size)})…`));
      try {
        const t = await api.upload(f.name, await f.text());
        this.showUpload(t);
        await this.refresh(t.id);
      } catch (err) {
        this.showError(err);
      } finally {
        upload.disabled = false;
      }
    } }, 'Upload trace');
    const knob = (name: string, label: string, value: number, min: number, max: number) => {
      const input = h('input', { type: 'number', id: `${id}-${name}`, name, value, min, max, step: 1, inputmode: 'numeric' });
      return { input, field: h('div', { className: 'field' }, h('label', { for: input.id }, label), input) };
    };
    const seed = knob('seed', 'Seed', 42, 0, 2 ** 31);
    const requests = knob('requests', 'Requests', 2000, 1, 200000);
    const tenants = knob('tenants', 'Tenants', 5, 1, 50);
    const gen = h('button', { type: 'button', className: 'secondary', onclick: async () => {
      gen.disabled = true;
      try {
        const t = await api.generate(Number(seed.input.value), Number(requests.input.value), Number(tenants.input.value));
        mount(this.uploadResult, h('p', { className: 'ok' }, `Generated ${count(t.requests)} requests.`));
        await this.refresh(t.id);
      } catch (err) {
        this.showError(err);
      } finally {
        gen.disabled = false;
      }
    } }, 'Generate trace');
    mount(root,
      h('div', { className: 'field' }, h('label', { for: this.select.id }, 'Trace to simulate'), this.select),
      this.info,
      h('details', {}, h('summary', {}, 'Upload a trace (JSONL, BurstGPT CSV, Azure CSV)'),
        h('div', { className: 'row' }, h('label', { for: file.id, className: 'visually-hidden' }, 'Trace file'), file, upload)),
      h('details', {}, h('summary', {}, 'Generate a synthetic trace'),
        h('div', { className: 'knobs' }, seed.field, requests.field, tenants.field), gen),
      this.uploadResult);
  }

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  get selectedId(): string {
    return this.select.value || 'bundled';
  }

  async refresh(selectId?: string): Promise<void> {
    this.traces = await api.traces();
    const keep = selectId ?? this.select.value ?? 'bundled';
    mount(this.select, this.traces.map((t) => h('option', { value: t.id, selected: t.id === keep }, `${t.name} — ${count(t.requests)} requests`)));
    this.changed();
  }

  private changed(): void {
    const t = this.traces.find((x) => x.id === this.select.value);
    if (t) mount(this.info, `${count(t.requests)} requests, ${t.format}, ${bytes(t.bytes)}${t.skipped ? `, ${count(t.skipped)} malformed rows skipped` : ''}`);
    this.listeners.forEach((f) => f());
  }

  private showUpload(t: TraceSummary): void {
    mount(this.uploadResult,
      h('p', { className: t.skipped ? 'warn' : 'ok' }, `Uploaded “${t.name}”: ${count(t.requests)} requests (${t.format})${t.skipped ? `, ${count(t.skipped)} malformed rows skipped` : ''}.`),
      t.issues.length ? badLines(t.issues.map((i) => ({ line: i.line, reason: i.reason }))) : null);
  }

  private showError(err: unknown): void {
    const e = err instanceof ApiError ? err : undefined;
    const lines = (e?.issues ?? []).map((i) => ({ line: Number(i.path.replace(/^line /, '')), reason: i.message }));
    mount(this.uploadResult, h('p', { className: 'bad' }, `✗ ${e?.message ?? String(err)}`), lines.length ? badLines(lines) : null);
  }
}

function badLines(issues: { line: number; reason: string }[]): HTMLElement {
  return h('ul', { className: 'issues', 'data-testid': 'bad-lines' },
    issues.slice(0, 50).map((i) => h('li', {}, h('code', { className: 'path' }, `line ${i.line}`), ' ', i.reason)));
}
