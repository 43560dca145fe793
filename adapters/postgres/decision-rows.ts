import type { DecisionRecord } from '../../engine/decision-record.js';

/**
 * The decision table's columns, in order, with their PostgreSQL array types: a batch is sent as one
 * array per column and unpacked by `unnest` (one statement, 26 parameters, whatever the batch size).
 */
export const COLUMNS: readonly (readonly [name: string, type: string])[] = [
  ['day', 'date'],
  ['time', 'timestamptz'],
  ['request_id', 'text'],
  ['tenant', 'text'],
  ['model_key', 'text'],
  ['model', 'text'],
  ['chosen', 'text'],
  ['rule', 'text'],
  ['tier', 'text'],
  ['outcome', 'text'],
  ['input_tokens', 'int8'],
  ['output_tokens', 'int8'],
  ['cached_tokens', 'int8'],
  ['token_source', 'text'],
  ['vendor_micros', 'int8'],
  ['infra_micros', 'int8'],
  ['ops_micros', 'int8'],
  ['full_micros', 'int8'],
  ['cache_hit', 'bool'],
  ['cache_saved_micros', 'int8'],
  ['fallbacks', 'int4'],
  ['attempts', 'int4'],
  ['quality', 'float8'],
  ['latency_ms', 'float8'],
  ['error_code', 'text'],
  ['record', 'jsonb'],
];

export type ColumnValue = string | number | boolean | null;

/** The group keys of the ledger (engine/ledger.ts keyOf), as stored. */
export const modelKey = (r: DecisionRecord): string => r.model ?? r.chosen ?? '(none)';

/** One record as the row values of {@link COLUMNS}. */
export function toRow(r: DecisionRecord): ColumnValue[] {
  return [
    r.time.slice(0, 10),
    r.time,
    r.requestId,
    r.tenant,
    modelKey(r),
    r.model ?? null,
    r.chosen ?? null,
    r.rule ?? null,
    r.tier ?? null,
    r.outcome,
    r.tokens.input,
    r.tokens.output,
    r.tokens.cached,
    r.tokens.source,
    r.cost.vendor,
    r.cost.infra,
    r.cost.ops,
    r.cost.full,
    r.cache?.hit ?? false,
    r.cache?.hit ? r.cache.savedMicros : 0,
    r.fallbacks.length,
    r.attempts,
    r.feedback ?? r.quality ?? null,
    r.latencyMs,
    r.error?.code ?? null,
    JSON.stringify(r),
  ];
}

/** Rows as one array per column (the parameters of the `unnest` insert). */
export function toColumns(rows: readonly ColumnValue[][]): ColumnValue[][] {
  const cols: ColumnValue[][] = COLUMNS.map(() => new Array(rows.length));
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    for (let c = 0; c < row.length; c++) cols[c]![i] = row[c]!;
  }
  return cols;
}

/** `SELECT … FROM unnest($1::date[], …) AS t(day, …)`. */
export function unnestSelect(): string {
  const args = COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  return `SELECT * FROM unnest(${args}) AS t(${COLUMNS.map(([n]) => n).join(', ')})`;
}

/**
 * `SELECT … FROM jsonb_array_elements($1::jsonb)`: the batch travels as ONE JSON text (the records, as
 * the JSONL sink would write them) and PostgreSQL extracts the columns — no per-value array encoding in
 * Node (pg's array literal escaping cost ~50 µs a record; this is one JSON.stringify). Same columns and
 * derivations as {@link toRow}.
 */
export function jsonSelect(param = '$1'): string {
  const num = (path: string) => `(${path})::int8`;
  const exprs: Record<string, string> = {
    day: `left(r->>'time', 10)::date`,
    time: `(r->>'time')::timestamptz`,
    request_id: `r->>'requestId'`,
    tenant: `r->>'tenant'`,
    model_key: `coalesce(r->>'model', r->>'chosen', '(none)')`,
    model: `r->>'model'`,
    chosen: `r->>'chosen'`,
    rule: `r->>'rule'`,
    tier: `r->>'tier'`,
    outcome: `r->>'outcome'`,
    input_tokens: num(`r->'tokens'->>'input'`),
    output_tokens: num(`r->'tokens'->>'output'`),
    cached_tokens: num(`r->'tokens'->>'cached'`),
    token_source: `r->'tokens'->>'source'`,
    vendor_micros: num(`r->'cost'->>'vendor'`),
    infra_micros: num(`r->'cost'->>'infra'`),
    ops_micros: num(`r->'cost'->>'ops'`),
    full_micros: num(`r->'cost'->>'full'`),
    cache_hit: `coalesce((r->'cache'->>'hit')::bool, false)`,
    cache_saved_micros: `CASE WHEN (r->'cache'->>'hit')::bool THEN coalesce((r->'cache'->>'savedMicros')::int8, 0) ELSE 0 END`,
    fallbacks: `coalesce(jsonb_array_length(r->'fallbacks'), 0)`,
    attempts: `(r->>'attempts')::int4`,
    quality: `coalesce((r->>'feedback')::float8, (r->>'quality')::float8)`,
    latency_ms: `(r->>'latencyMs')::float8`,
    error_code: `r->'error'->>'code'`,
    record: `r`,
  };
  return `SELECT ${COLUMNS.map(([n]) => exprs[n]!).join(', ')} FROM jsonb_array_elements(${param}::jsonb) AS x(r)`;
}
