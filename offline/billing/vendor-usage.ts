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

/**
 * Vendor usage / cost API results saved as JSON (one page, an array of pages, or `{ "pages": [...] }`),
 * normalised to the same rows as the CSV exports. Shapes (as the vendors document them):
 * - OpenAI Usage API, completions (`GET /v1/organization/usage/completions`): buckets `{ start_time,
 *   end_time, results: [{ object: 'organization.usage.completions.result', model, input_tokens (cached
 *   included), output_tokens, input_cached_tokens, num_model_requests, … }] }` (group by `model`).
 * - OpenAI Costs API (`GET /v1/organization/costs`): results `{ object: 'organization.costs.result',
 *   amount: { value (USD), currency }, line_item, project_id }` (group by `line_item`: its model is the
 *   part before the first comma).
 * - Anthropic usage report (`GET /v1/organizations/usage_report/messages`): buckets `{ starting_at,
 *   ending_at, results: [{ model, uncached_input_tokens, cache_read_input_tokens, cache_creation: {
 *   ephemeral_5m_input_tokens, ephemeral_1h_input_tokens }, output_tokens, … }] }` (group by `model`).
 *   Input tokens are uncached + cache read + cache creation (Tollgate's input count includes both).
 * - Anthropic cost report (`GET /v1/organizations/cost_report`): results `{ amount, currency, model,
 *   description, cost_type, token_type, … }` where `amount` is a decimal string in the currency's lowest
 *   unit, cents: `"123.45"` is $1.2345 (group by `description` to get `model`).
 */
export function parseVendorUsageJson(text: string, file = '<export>'): VendorUsageRow[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw invalid(file, 1, `not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const pages: unknown[] = Array.isArray(doc) ? doc : isObj(doc) && Array.isArray(doc.pages) ? doc.pages : [doc];
  const out: VendorUsageRow[] = [];
  let n = 0;
  for (const page of pages) {
    if (!isObj(page) || !Array.isArray(page.data)) throw invalid(file, 1, 'expected a result page with a "data" array of time buckets');
    for (const bucket of page.data) {
      if (!isObj(bucket) || !Array.isArray(bucket.results)) throw invalid(file, 1, 'a bucket without a "results" array');
      const start = bucket.start_time ?? bucket.starting_at;
      if (start === undefined) throw invalid(file, 1, 'a bucket without start_time (OpenAI) or starting_at (Anthropic)');
      const day = dayOf(String(start), file, 1);
      for (const r of bucket.results) {
        n++;
        if (!isObj(r)) throw invalid(file, n, 'a result that is not an object');
        out.push(resultRow(r, day, n, file));
      }
    }
  }
  return out;
}

/** A vendor export file: JSON API results when it starts with `{` or `[`, else CSV. */
export function parseVendorUsageFile(text: string, file = '<export>'): VendorUsageRow[] {
  const head = text.trimStart().replace(/^\uFEFF/, '')[0];
  return head === '{' || head === '[' ? parseVendorUsageJson(text, file) : parseVendorUsage(text, file);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One result (n = its position in the file, reported as the "line" of JSON rows). */
function resultRow(r: Obj, day: string, n: number, file: string): VendorUsageRow {
  const num = (v: unknown, what: string): number | undefined => {
    if (v === undefined || v === null) return undefined;
    const x = typeof v === 'string' ? Number(v) : v;
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw invalid(file, n, `${what} is not a non-negative number: ${JSON.stringify(v)}`);
    return x;
  };
  const usd = (currency: unknown) => {
    if (currency !== undefined && currency !== null && String(currency).toLowerCase() !== 'usd') throw invalid(file, n, `only USD amounts are supported, got "${String(currency)}"`);
  };
  // OpenAI Costs API: amount { value: USD, currency }.
  if (isObj(r.amount)) {
    usd(r.amount.currency);
    const lineItem = typeof r.line_item === 'string' ? r.line_item : undefined;
    if (!lineItem) throw invalid(file, n, 'a cost result without line_item: fetch the Costs API with group_by=line_item so costs have a model');
    return { line: n, day, model: lineItem.split(',')[0]!.trim(), costMicros: Math.round(num(r.amount.value, 'amount.value')! * 1_000_000), lineItem };
  }
  // Anthropic cost report: amount is a decimal string in cents.
  if (typeof r.amount === 'string' || typeof r.amount === 'number') {
    usd(r.currency);
    const model = typeof r.model === 'string' ? r.model : '';
    if (!model) throw invalid(file, n, 'a cost result without model: fetch the cost report with group_by[]=description so costs have a model');
    const cents = num(r.amount, 'amount')!;
    return { line: n, day, model, costMicros: Math.round(cents * 10_000), lineItem: typeof r.description === 'string' ? r.description : undefined };
  }
  const model = typeof r.model === 'string' ? r.model : '';
  if (!model) throw invalid(file, n, 'a usage result without model: fetch usage grouped by model');
  // Anthropic usage report.
  if ('uncached_input_tokens' in r || 'cache_read_input_tokens' in r) {
    const creation = isObj(r.cache_creation) ? (num(r.cache_creation.ephemeral_5m_input_tokens, 'cache_creation.ephemeral_5m_input_tokens') ?? 0) + (num(r.cache_creation.ephemeral_1h_input_tokens, 'cache_creation.ephemeral_1h_input_tokens') ?? 0) : 0;
    const read = num(r.cache_read_input_tokens, 'cache_read_input_tokens') ?? 0;
    return { line: n, day, model, inputTokens: (num(r.uncached_input_tokens, 'uncached_input_tokens') ?? 0) + read + creation, outputTokens: num(r.output_tokens, 'output_tokens'), cachedTokens: read };
  }
  // OpenAI Usage API, completions.
  return {
    line: n, day, model,
    inputTokens: num(r.input_tokens, 'input_tokens'), outputTokens: num(r.output_tokens, 'output_tokens'),
    cachedTokens: num(r.input_cached_tokens, 'input_cached_tokens'), requests: num(r.num_model_requests, 'num_model_requests'),
  };
}
