import type { DecisionRecord } from '../../engine/decision-record.js';

/**
 * The decision table's columns, in order, with their PostgreSQL array types: a batch is sent as one
 * array per column and unpacked by `unnest` (one statement, one parameter per column, whatever the batch size).
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
  // Schema version 2: the vendor cost parts and token subsets (cost.parts, tokens.cacheWrite/1h/reasoning), served tier.
  ['service_tier', 'text'],
  ['cache_write_tokens', 'int8'],
  ['cache_write_1h_tokens', 'int8'],
  ['reasoning_tokens', 'int8'],
  ['vendor_input_micros', 'int8'],
  ['vendor_cached_input_micros', 'int8'],
  ['vendor_cache_write_micros', 'int8'],
  ['vendor_output_micros', 'int8'],
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
    r.serviceTier ?? null,
    r.tokens.cacheWrite ?? 0,
    r.tokens.cacheWrite1h ?? 0,
    r.tokens.reasoning ?? 0,
    r.cost.parts?.input ?? 0,
    r.cost.parts?.cachedInput ?? 0,
    r.cost.parts?.cacheWrite ?? 0,
    r.cost.parts?.output ?? 0,
    JSON.stringify(r),
  ];
}

/**
 * The schema-2 columns from a record's JSON (the jsonb expression `r`): absent parts and token subsets are 0 (what the ledger
 * adds for them, engine/ledger.ts). Also what migration 2 backfills existing rows with.
 */
export function partExprs(r: string): Record<string, string> {
  return {
    service_tier: `${r}->>'serviceTier'`,
    cache_write_tokens: `coalesce((${r}->'tokens'->>'cacheWrite')::int8, 0)`,
    cache_write_1h_tokens: `coalesce((${r}->'tokens'->>'cacheWrite1h')::int8, 0)`,
    reasoning_tokens: `coalesce((${r}->'tokens'->>'reasoning')::int8, 0)`,
    vendor_input_micros: `coalesce((${r}->'cost'->'parts'->>'input')::int8, 0)`,
    vendor_cached_input_micros: `coalesce((${r}->'cost'->'parts'->>'cachedInput')::int8, 0)`,
    vendor_cache_write_micros: `coalesce((${r}->'cost'->'parts'->>'cacheWrite')::int8, 0)`,
    vendor_output_micros: `coalesce((${r}->'cost'->'parts'->>'output')::int8, 0)`,
  };
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
    ...partExprs('r'),
    record: `r`,
  };
  return `SELECT ${COLUMNS.map(([n]) => exprs[n]!).join(', ')} FROM jsonb_array_elements(${param}::jsonb) AS x(r)`;
}
