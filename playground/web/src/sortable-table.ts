import { h, uid } from './dom';

export interface Column<Row> {
  key: string;
  label: string;
  /** The value sorted on (numbers sort numerically). */
  value: (r: Row) => number | string | undefined | null;
  /** What the cell shows (formatted); defaults to the value. */
  cell?: (r: Row) => Node | string;
  numeric?: boolean;
}

/**
 * A table whose headers are buttons: activate one to sort by it, again to reverse. The sorted
 * header carries `aria-sort`; a caption names the table for screen readers.
 */
export function sortableTable<Row>(caption: string, columns: Column<Row>[], rows: Row[], opts: { sortKey?: string; descending?: boolean; testId?: string } = {}): HTMLElement {
  let sortKey = opts.sortKey ?? columns[0]!.key;
  let descending = opts.descending ?? false;
  const tbody = h('tbody');
  const headers = columns.map((c) =>
    h('th', { scope: 'col', className: c.numeric ? 'num' : '', 'data-key': c.key },
      h('button', { type: 'button', className: 'sort', onclick: () => {
        descending = sortKey === c.key ? !descending : !!c.numeric;
        sortKey = c.key;
        draw();
      } }, c.label, h('span', { className: 'arrow', 'aria-hidden': 'true' }))),
  );
  const draw = (): void => {
    const col = columns.find((c) => c.key === sortKey)!;
    const sorted = [...rows].sort((a, b) => {
      const x = col.value(a);
      const y = col.value(b);
      if (x === y) return 0;
      if (x === undefined || x === null) return 1;
      if (y === undefined || y === null) return -1;
      const r = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return descending ? -r : r;
    });
    headers.forEach((th, i) => {
      const on = columns[i]!.key === sortKey;
      if (on) th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
      th.querySelector('.arrow')!.textContent = on ? (descending ? ' ▼' : ' ▲') : '';
    });
    tbody.replaceChildren(
      ...sorted.map((r) => h('tr', {}, columns.map((c) => h('td', { className: c.numeric ? 'num' : '' }, c.cell ? c.cell(r) : String(c.value(r) ?? '—'))))),
    );
  };
  draw();
  return h('div', { className: 'table-wrap' },
    h('table', { id: uid('table'), 'data-testid': opts.testId }, h('caption', {}, caption), h('thead', {}, h('tr', {}, headers)), tbody));
}
