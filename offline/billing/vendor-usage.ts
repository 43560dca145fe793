import { TollgateError } from '../../index.js';

/**
 * Vendor usage / cost exports (CSV), normalised to one row per (UTC day, model) bucket.
 *
 * Columns are matched case-insensitively, with spaces and dots read as underscores, through aliases:
 * OpenAI's Usage API completions fields (`start_time`, `model`, `input_tokens`, `output_tokens`,
 * `input_cached_tokens`, `num_model_requests`) and Costs API fields flattened (`amount_value` /
 * `amount.value`, `amount_currency`, `line_item`), plus common spellings (see docs/reconcile.md).
 * A row with token columns is usage; a row with an amount is cost; a row may be both.
 */
export interface VendorUsageRow {
  /** 1-based line number in the file (for error messages and reports). */
  line: number;
  day: string;
  model: string;
  inputTokens?: number;
  outputTokens?: number;
  cachedTokens?: number;
  requests?: number;
  costMicros?: number;
  lineItem?: string;
}

const ALIASES = {
  time: ['start_time_iso', 'start_time', 'date', 'day', 'timestamp', 'bucket_start', 'start_date'],
  model: ['model', 'model_name', 'snapshot_id', 'model_id'],
  input: ['input_tokens', 'n_context_tokens_total', 'prompt_tokens', 'context_tokens'],
  output: ['output_tokens', 'n_generated_tokens_total', 'completion_tokens', 'generated_tokens'],
  cached: ['input_cached_tokens', 'cached_tokens', 'cached_input_tokens', 'n_cached_context_tokens_total'],
  requests: ['num_model_requests', 'n_requests', 'requests', 'num_requests'],
  cost: ['amount_value', 'cost', 'cost_usd', 'amount'],
  currency: ['amount_currency', 'currency'],
  lineItem: ['line_item'],
} as const;
type Field = keyof typeof ALIASES;

/** Splits CSV text into rows of cells (RFC 4180: quoted cells may hold commas, quotes and line breaks). */
export function parseCsv(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const endRow = () => {
    cells.push(cell);
    if (cells.length > 1 || cells[0]!.trim() !== '') rows.push({ line: rowLine, cells });
    cells = [];
    cell = '';
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"') quoted = true;
    else if (c === ',') cells.push(cell), (cell = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      endRow();
      rowLine = ++line;
    } else cell += c;
  }
  if (cell !== '' || cells.length) endRow();
  return rows;
}

const norm = (h: string) => h.trim().toLowerCase().replace(/[\s.]+/g, '_');

/** Parses a vendor export. Throws `usage_export_invalid` naming the file, line and column. */
export function parseVendorUsage(text: string, file = '<export>'): VendorUsageRow[] {
  const rows = parseCsv(text);
  if (rows.length === 0) throw invalid(file, 1, 'the file is empty');
  const header = rows[0]!.cells.map(norm);
  const col = {} as Record<Field, number>;
  for (const f of Object.keys(ALIASES) as Field[]) col[f] = ALIASES[f].map((a) => header.indexOf(a)).find((i) => i >= 0) ?? -1;
  if (col.time < 0) throw invalid(file, 1, `no time column (one of ${ALIASES.time.join(', ')})`);
  if (col.model < 0 && col.lineItem < 0) throw invalid(file, 1, `no model column (one of ${ALIASES.model.join(', ')}, or line_item)`);
  if (col.input < 0 && col.output < 0 && col.cost < 0) throw invalid(file, 1, 'no token columns (input_tokens, output_tokens) and no amount column (amount_value)');
  const out: VendorUsageRow[] = [];
  for (const { line, cells } of rows.slice(1)) {
    const get = (f: Field) => (col[f] >= 0 ? (cells[col[f]] ?? '').trim() : '');
    const num = (f: Field): number | undefined => {
      const s = get(f);
      if (s === '') return undefined;
      const v = Number(s);
      if (!Number.isFinite(v) || v < 0) throw invalid(file, line, `${header[col[f]]} is not a non-negative number: "${s}"`);
      return v;
    };
    const currency = get('currency').toLowerCase();
    if (currency && currency !== 'usd') throw invalid(file, line, `only USD amounts are supported, got "${currency}"`);
    const lineItem = get('lineItem') || undefined;
    const model = get('model') || (lineItem ? lineItem.split(',')[0]!.trim() : '');
    if (!model) throw invalid(file, line, 'no model (empty model and line_item)');
    const cost = num('cost');
    out.push({
      line, day: dayOf(get('time'), file, line), model,
      inputTokens: num('input'), outputTokens: num('output'), cachedTokens: num('cached'), requests: num('requests'),
      costMicros: cost === undefined ? undefined : Math.round(cost * 1_000_000),
      lineItem,
    });
  }
  return out;
}

/** UTC day of a Unix-seconds (or -milliseconds) number or an ISO/date string. */
function dayOf(s: string, file: string, line: number): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return s;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(s)) ms = Number(s) < 1e11 ? Number(s) * 1000 : Number(s);
  else ms = Date.parse(s);
  if (!Number.isFinite(ms)) throw invalid(file, line, `unreadable time "${s}"`);
  return new Date(ms).toISOString().slice(0, 10);
}

function invalid(file: string, line: number, reason: string): TollgateError {
  return new TollgateError('usage_export_invalid', `${file}:${line}: ${reason}`, { file, line, reason });
}
