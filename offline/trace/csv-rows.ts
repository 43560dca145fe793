import { TraceFormatError, TraceRowError } from './errors.js';
import { readLineBatches } from './read-lines.js';
import { assertNotEmpty, emptyTraceStats, handleRowError, type TraceReadOptions, type TraceReadStats } from './read-options.js';
import type { TraceRequest } from './schema.js';

/** One CSV data row: its 1-based line number and its cells keyed by the required column names. */
export interface CsvRow<C extends string> {
  line: number;
  cells: Record<C, string>;
}

/**
 * Splits one line of a simple CSV (numeric and plain-text cells; no embedded commas or line
 * breaks, which the supported trace formats never have). Surrounding quotes and spaces are removed.
 */
export function splitCsvLine(text: string): string[] {
  return text.split(',').map((cell) => {
    const trimmed = cell.trim();
    return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
  });
}

/** Normalises a header name for matching: case, surrounding space and quotes do not matter. */
export function headerKey(name: string): string {
  return name.trim().replace(/^"|"$/g, '').trim().toLowerCase();
}

/**
 * Streams the data rows of a CSV file whose header must contain every column in `required`
 * (matched by name, any order, case-insensitive). A row with the wrong number of cells is a
 * {@link TraceRowError} handled per `options.onError`; blank lines are ignored. Throws
 * {@link TraceFormatError} when the header lacks a required column.
 */
export async function* readCsvRows<C extends string>(
  file: string,
  required: readonly C[],
  options: TraceReadOptions,
  stats: TraceReadStats,
): AsyncGenerator<CsvRow<C>> {
  let indexes: Map<C, number> | undefined;
  let width = 0;
  for await (const { first, texts } of readLineBatches(file)) {
    for (let i = 0; i < texts.length; i++) {
      const line = first + i;
      stats.lines = line;
      const text = texts[i]!;
      if (text.trim() === '') continue;
      const cells = splitCsvLine(text);
      if (indexes === undefined) {
        indexes = headerIndexes(file, line, cells, required);
        width = cells.length;
        continue;
      }
      if (cells.length !== width) {
        handleRowError(new TraceRowError(file, line, `expected ${width} columns, found ${cells.length}`), options, stats);
        continue;
      }
      const row = {} as Record<C, string>;
      for (const [column, index] of indexes) row[column] = cells[index] ?? '';
      yield { line, cells: row };
    }
  }
}

/** Maps each required column to its index in the header, or throws {@link TraceFormatError}. */
function headerIndexes<C extends string>(file: string, line: number, cells: string[], required: readonly C[]): Map<C, number> {
  const keys = cells.map(headerKey);
  const missing = required.filter((c) => !keys.includes(headerKey(c)));
  if (missing.length > 0) {
    throw new TraceFormatError(file, `CSV header on line ${line} lacks column(s) ${missing.map((m) => `"${m}"`).join(', ')}; found ${cells.join(', ')}`);
  }
  return new Map(required.map((c) => [c, keys.indexOf(headerKey(c))]));
}

/** Parses a non-negative integer token count, or returns why it is not one. */
export function parseTokenCell(text: string, column: string): number | string {
  if (/^\d+$/.test(text)) return Number(text);
  if (/^-\d+(\.\d+)?$/.test(text)) return `${column} is negative (${text}); token counts must be ≥ 0`;
  if (/^\d+\.0*$/.test(text)) return Number.parseInt(text, 10);
  return `${column} "${text}" is not a whole number of tokens`;
}

/**
 * The importer loop shared by the CSV formats: each row becomes a request via `toRequest` (which
 * returns a reason string for a malformed row: reported with its line number and skipped or fatal per
 * `options.onError`); an import with no request throws `TraceEmptyError` unless `allowEmpty`.
 */
export async function* importCsvRows<C extends string>(
  file: string,
  columns: readonly C[],
  options: TraceReadOptions,
  toRequest: (cells: Record<C, string>, line: number) => TraceRequest | string,
): AsyncGenerator<TraceRequest, TraceReadStats> {
  const stats = options.stats ?? emptyTraceStats();
  for await (const { line, cells } of readCsvRows(file, columns, options, stats)) {
    const result = toRequest(cells, line);
    if (typeof result === 'string') {
      handleRowError(new TraceRowError(file, line, result), options, stats);
      continue;
    }
    stats.requests += 1;
    yield result;
  }
  assertNotEmpty(file, options, stats);
  return stats;
}
