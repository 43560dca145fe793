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
