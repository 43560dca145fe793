/**
 * Labeled routing data: a CSV with a `prompt` column and one column per model holding that model's
 * correctness on the prompt (`True`/`False`) or a score in [0, 1]. Other columns (e.g. `subject`) are
 * kept as string metadata. The RouteLLM MMLU files are in this format (prompts span several lines).
 */
import { readFileSync } from 'node:fs';
import { RoutingDataError } from './errors.js';

export interface LabeledRow {
  prompt: string;
  /** Score in [0, 1] per model column (True → 1, False → 0). */
  scores: Record<string, number>;
  /** Other columns, verbatim. */
  meta: Record<string, string>;
}

export interface LabeledData {
  file: string;
  /** Model columns in file order. */
  models: string[];
  rows: LabeledRow[];
}

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks. Returns rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      cell = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else cell += ch;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/** Parses one label cell: True/False (any case), 1/0, or a number in [0, 1]; `undefined` when it is neither. */
export function parseScore(cell: string): number | undefined {
  const s = cell.trim().toLowerCase();
  if (TRUE.has(s)) return 1;
  if (FALSE.has(s)) return 0;
  if (s === '') return undefined;
  const x = Number(s);
  return Number.isFinite(x) && x >= 0 && x <= 1 ? x : undefined;
}

/**
 * Parses labeled routing data. Model columns are `models` when given (each must be a column, else
 * {@link RoutingDataError} naming the unknown column), otherwise every column except `prompt` whose
 * cells all parse as scores. Throws {@link RoutingDataError} for a missing `prompt` column, fewer than
 * two model columns, a row of the wrong width, or a bad label cell in a named model column.
 */
export function parseLabeledCsv(text: string, file: string, models?: readonly string[]): LabeledData {
  const table = parseCsv(text);
  const header = table[0];
  if (!header) throw new RoutingDataError(file, 'empty file');
  const promptAt = header.findIndex((h) => h.trim().toLowerCase() === 'prompt');
  if (promptAt < 0) throw new RoutingDataError(file, `no "prompt" column (columns: ${header.join(', ')})`);
  const body = table.slice(1);
  body.forEach((r, i) => {
    if (r.length !== header.length) throw new RoutingDataError(file, `row ${i + 2} has ${r.length} cells, header has ${header.length}`, { line: i + 2 });
  });
  let modelCols: number[];
  if (models) {
    modelCols = models.map((m) => {
      const at = header.indexOf(m);
      if (at < 0) throw new RoutingDataError(file, `unknown model column "${m}" (columns: ${header.join(', ')})`, { column: m });
      return at;
    });
  } else {
    modelCols = header.map((_, c) => c).filter((c) => c !== promptAt && body.length > 0 && body.every((r) => parseScore(r[c]!) !== undefined));
  }
  if (modelCols.length < 2) throw new RoutingDataError(file, `need at least two model columns of True/False or [0, 1] scores, found ${modelCols.length}`);
  const names = modelCols.map((c) => header[c]!);
  const rows = body.map((r, i): LabeledRow => {
    const scores: Record<string, number> = {};
    modelCols.forEach((c, k) => {
      const s = parseScore(r[c]!);
      if (s === undefined) throw new RoutingDataError(file, `row ${i + 2}, column "${names[k]}": "${r[c]}" is not True/False or a score in [0, 1]`, { line: i + 2 });
      scores[names[k]!] = s;
    });
    const meta: Record<string, string> = {};
    header.forEach((h, c) => {
      if (c !== promptAt && !modelCols.includes(c)) meta[h] = r[c]!;
    });
    return { prompt: r[promptAt]!, scores, meta };
  });
  if (rows.length === 0) throw new RoutingDataError(file, 'no data rows');
  return { file, models: names, rows };
}

/** Reads and parses a labeled routing CSV ({@link parseLabeledCsv}); a missing file is a {@link RoutingDataError}. */
export function readLabeledCsv(file: string, models?: readonly string[]): LabeledData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RoutingDataError(file, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot read (${(err as Error).message})`);
  }
  return parseLabeledCsv(text, file, models);
}
