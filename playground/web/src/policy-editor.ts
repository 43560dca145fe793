import { api, ApiError } from './api';
import { h, mount, uid } from './dom';
import type { ExamplePolicy, Validation } from './types';

/** One policy being edited: its text and the latest server verdict on it. */
export interface PolicySlot {
  index: number;
  text(): string;
  validation(): Validation | undefined;
  element: HTMLElement;
}

const MAX_SLOTS = 6;
const DEBOUNCE_MS = 250;
const LETTERS = 'ABCDEF';

/**
 * The policy editors: each a labelled textarea validated as you type by the server (the same zod
 * schema and cross-field checks as `tollgate validate`), errors listed by field path.
 */
export class PolicyEditor {
  readonly slots: PolicySlot[] = [];
  private listeners: (() => void)[] = [];

  constructor(
    private readonly root: HTMLElement,
    private readonly addButton: HTMLButtonElement,
    private readonly examples: ExamplePolicy[],
  ) {
    addButton.addEventListener('click', () => {
      const used = new Set(this.slots.map((s) => s.text()));
      const next = this.examples.find((e) => !used.has(e.text)) ?? this.examples[0];
      const slot = this.add(next);
      slot.element.querySelector('textarea')?.focus();
    });
  }

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  add(example?: ExamplePolicy): PolicySlot {
    const index = this.slots.length;
    const id = uid('policy');
    const letter = LETTERS[index] ?? String(index + 1);
    const textarea = h('textarea', { id: `${id}-text`, className: 'code', spellcheck: 'false', rows: 16, 'data-testid': `policy-text-${index}`, 'aria-describedby': `${id}-status` });
    textarea.value = example?.text ?? '';
    const select = h('select', { id: `${id}-example`, 'aria-label': `Example policy for policy ${letter}` },
      this.examples.map((e) => h('option', { value: e.name, selected: e.name === example?.name }, e.name)));
    const status = h('div', { id: `${id}-status`, className: 'status', role: 'status', 'aria-live': 'polite', 'data-testid': `policy-status-${index}` });
    let validation: Validation | undefined;
    let inflight: AbortController | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const validate = async (): Promise<void> => {
      inflight?.abort();
      const ctrl = (inflight = new AbortController());
      try {
        validation = await api.validate(textarea.value, ctrl.signal);
      } catch (err) {
        if (ctrl.signal.aborted) return;
        validation = { ok: false, issues: [{ path: '', message: err instanceof ApiError ? err.message : 'cannot reach the server' }] };
      }
      if (ctrl.signal.aborted) return;
      renderStatus(status, validation);
      textarea.setAttribute('aria-invalid', String(!validation.ok));
      this.listeners.forEach((f) => f());
    };
    const schedule = (): void => {
      clearTimeout(timer);
      status.classList.add('pending');
      timer = setTimeout(() => void validate(), DEBOUNCE_MS);
    };
    textarea.addEventListener('input', schedule);
    const remove = h('button', { type: 'button', className: 'secondary small', 'aria-label': `Remove policy ${letter}`, onclick: () => this.remove(slot) }, 'Remove');
    const element = h('div', { className: 'policy', 'data-testid': `policy-${index}` },
      h('div', { className: 'policy-head' },
        h('label', { for: textarea.id, className: 'policy-label' }, `Policy ${letter}`),
        h('span', { className: 'row' },
          h('label', { for: select.id, className: 'visually-hidden' }, 'Start from example'),
          select,
          h('button', { type: 'button', className: 'secondary small', onclick: () => {
            const e = this.examples.find((x) => x.name === select.value);
            if (e) {
              textarea.value = e.text;
              schedule();
            }
          } }, 'Load example'),
          remove)),
      textarea,
      status);
    const slot: PolicySlot = { index, text: () => textarea.value, validation: () => validation, element };
    this.slots.push(slot);
    this.root.appendChild(element);
    this.addButton.disabled = this.slots.length >= MAX_SLOTS;
    void validate();
    return slot;
  }

  private remove(slot: PolicySlot): void {
    if (this.slots.length <= 1) return;
    this.slots.splice(this.slots.indexOf(slot), 1);
    slot.element.remove();
    this.addButton.disabled = false;
    this.listeners.forEach((f) => f());
    this.addButton.focus();
  }
}

function renderStatus(el: HTMLElement, v: Validation): void {
  el.classList.remove('pending');
  el.classList.toggle('ok', v.ok);
  el.classList.toggle('bad', !v.ok);
  if (v.ok) {
    mount(el, `✓ valid: “${v.name}” version ${v.version.slice(0, 12)} — ${v.models} models, ${v.rules} rules`);
    return;
  }
  mount(el,
    h('p', {}, `✗ ${v.issues.length} problem${v.issues.length === 1 ? '' : 's'}:`),
    h('ul', { className: 'issues', 'data-testid': 'policy-issues' },
      v.issues.map((i) => h('li', {}, h('code', { className: 'path' }, i.path || '(root)'), ' ', i.message))));
}
