import { h, uid } from './dom';

export interface Tab {
  id: string;
  label: string;
  render: (panel: HTMLElement) => void;
}

/**
 * WAI-ARIA tabs: real buttons in a tablist, roving tabindex, Left/Right/Home/End move between tabs
 * and activate them, the panel follows in focus order. Panels render lazily on first activation.
 */
export function tabs(list: Tab[], label: string, initial = 0): HTMLElement {
  const base = uid('tabs');
  const rendered = new Set<number>();
  const buttons: HTMLButtonElement[] = [];
  const panels: HTMLElement[] = [];
  const select = (i: number, focus: boolean): void => {
    buttons.forEach((b, j) => {
      const on = i === j;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      panels[j]!.hidden = !on;
    });
    if (!rendered.has(i)) {
      rendered.add(i);
      list[i]!.render(panels[i]!);
    }
    if (focus) buttons[i]!.focus();
  };
  const onKey = (e: KeyboardEvent): void => {
    const i = buttons.indexOf(e.currentTarget as HTMLButtonElement);
    const n = buttons.length;
    const to = e.key === 'ArrowRight' ? (i + 1) % n : e.key === 'ArrowLeft' ? (i - 1 + n) % n : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : -1;
    if (to < 0) return;
    e.preventDefault();
    select(to, true);
  };
  list.forEach((t, i) => {
    const b = h('button', {
      type: 'button',
      role: 'tab',
      id: `${base}-${t.id}-tab`,
      'aria-controls': `${base}-${t.id}`,
      'data-tab': t.id,
      onclick: () => select(i, false),
      onkeydown: onKey as EventListener,
    }, t.label);
    buttons.push(b);
    panels.push(h('div', { role: 'tabpanel', id: `${base}-${t.id}`, 'aria-labelledby': b.id, tabindex: 0, className: 'tabpanel', 'data-panel': t.id }));
  });
  const root = h('div', { className: 'tabs' }, h('div', { role: 'tablist', 'aria-label': label, className: 'tablist' }, buttons), panels);
  select(initial, false);
  return root;
}
