/**
 * Labeled routing data: a CSV (or JSONL: one object per line, same columns) with a `prompt` column and
 * one column per model holding that model's score on the prompt: `True`/`False`, a score in [0, 1], or a
 * graded score in a declared range (`scale: { min: 1, max: 10 }` rescales to [0, 1]). Any number of
 * models. Optional per-prompt real costs per model (US dollars per request): columns named explicitly
 * (`costColumns: { model: column }`) or found by naming convention (`<model>|total_cost`, `<model>|cost`,
 * `<model>_cost`, `cost_<model>`); a column whose name says cost/price/usd/tokens is never taken for a
 * model. Empty label cells are skipped and counted (`emptyCells`), never a hard error. A prompt stored as
 * a list literal (`['first turn', 'second']`, RouterBench's format) is unwrapped (turns joined by a blank
 * line; `turns` keeps the count). Other columns (e.g. `subject`) are kept as string metadata.
 */
import { readFileSync } from 'node:fs';
import { RoutingDataError } from './errors.js';
import { unwrapListLiteral } from './list-literal.js';

export interface LabeledRow {
  prompt: string;
  /** Score in [0, 1] per model column (True → 1, False → 0); a model whose cell was empty is absent. */
  scores: Record<string, number>;
  /** Real cost of each model's answer, integer micro-dollars, when the data has cost columns. */
  costs?: Record<string, number>;
  /** Number of turns when the prompt was a list literal (1 otherwise). */
  turns: number;
  /** Other columns, verbatim. */
  meta: Record<string, string>;
}

export interface LabeledData {
  file: string;
  /** Model columns in file order. */
  models: string[];
  rows: LabeledRow[];
  /** Label cells that were empty (skipped). */
  emptyCells: number;
  /** Model → cost column used, when the data has costs. */
  costColumns?: Record<string, string>;
  /** Declared score range (scores are stored rescaled to [0, 1]). */
  scale?: ScoreScale;
}

export interface ScoreScale {
  min: number;
  max: number;
}

export interface LabeledOptions {
  /** Model columns (default: every column whose non-empty cells all parse as scores, cost-like names excluded). */
  models?: readonly string[];
  /** Range of graded scores, e.g. `{ min: 1, max: 10 }`; default [0, 1] (and True/False). */
  scale?: ScoreScale;
  /** Model → cost column (US dollars per request). Unnamed models are looked up by naming convention. */
  costColumns?: Readonly<Record<string, string>>;
  /** `false`: ignore cost columns even when the convention finds them. */
  costs?: boolean;
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

/** JSONL as a table: the header is the union of keys (first-seen order); arrays and objects become JSON text. */
export function parseJsonl(text: string, file: string): string[][] {
  const objects: Record<string, unknown>[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (err) {
      throw new RoutingDataError(file, `line ${i + 1} is not JSON (${(err as Error).message})`, { line: i + 1 });
    }
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw new RoutingDataError(file, `line ${i + 1} is not a JSON object`, { line: i + 1 });
    objects.push(o as Record<string, unknown>);
  });
  const header: string[] = [];
  const seen = new Set<string>();
  for (const o of objects) for (const k of Object.keys(o)) if (!seen.has(k)) seen.add(k), header.push(k);
  const cell = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return [header, ...objects.map((o) => header.map((h) => cell(o[h])))];
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/**
 * Parses one label cell: True/False (any case), 1/0, or a number in the scale (default [0, 1]) rescaled
 * to [0, 1]; `undefined` when it is neither (and for an empty cell).
 */
export function parseScore(cell: string, scale?: ScoreScale): number | undefined {
  const s = cell.trim().toLowerCase();
  if (s === '') return undefined;
  if (!scale || (scale.min === 0 && scale.max === 1)) {
    if (TRUE.has(s)) return 1;
    if (FALSE.has(s)) return 0;
  } else if (s === 'true' || s === 'false') return s === 'true' ? 1 : 0;
  const x = Number(s);
  const min = scale?.min ?? 0;
  const max = scale?.max ?? 1;
  if (!Number.isFinite(x) || x < min || x > max) return undefined;
  return (x - min) / (max - min);
}

/** Parses `1-10`, `0-100`, `1..5` into a scale; throws {@link RoutingDataError} otherwise. */
export function parseScale(text: string): ScoreScale {
  const m = /^\s*(-?[0-9.]+)\s*(?:-|\.\.|:)\s*(-?[0-9.]+)\s*$/.exec(text);
  const min = m ? Number(m[1]) : Number.NaN;
  const max = m ? Number(m[2]) : Number.NaN;
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) throw new RoutingDataError('--scale', `must be MIN-MAX with MIN < MAX, e.g. 1-10 (got "${text}")`);
  return { min, max };
}

/** Parses `model=column` pairs (repeatable option values). */
export function parseCostColumns(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const at = p.lastIndexOf('=');
    if (at <= 0 || at === p.length - 1) throw new RoutingDataError('--cost-column', `must be MODEL=COLUMN (got "${p}")`);
    out[p.slice(0, at)] = p.slice(at + 1);
  }
  return out;
}

/** Column names that are never models: costs, prices, token counts, latencies, ids, unnamed index columns. */
const NOT_A_MODEL = /(^$|^unnamed|cost|price|usd|dollar|tokens?$|latency|seconds|^id$|_id$|^index$)/i;

/** Cost column of `model` by naming convention, if the header has one. */
function conventionalCostColumn(header: readonly string[], model: string): number {
  for (const name of [`${model}|total_cost`, `${model}|cost`, `${model}_cost`, `${model}_total_cost`, `cost_${model}`, `${model}:cost`]) {
    const at = header.indexOf(name);
    if (at >= 0) return at;
  }
  return -1;
}

/**
 * Parses labeled routing data (see the module comment). Throws {@link RoutingDataError} for a missing
 * `prompt` column, fewer than two model columns, a row of the wrong width, an unknown named column, a
 * bad (non-empty) label or cost cell, or no rows.
 */
export function parseLabeledCsv(text: string, file: string, options: readonly string[] | LabeledOptions = {}): LabeledData {
  const o: LabeledOptions = Array.isArray(options) ? { models: options as readonly string[] } : (options as LabeledOptions);
  const table = /\.jsonl$/i.test(file) || (/^\s*\{/.test(text) && !/\.csv$/i.test(file)) ? parseJsonl(text, file) : parseCsv(text);
  const header = table[0];
  if (!header) throw new RoutingDataError(file, 'empty file');
  const promptAt = header.findIndex((h) => h.trim().toLowerCase() === 'prompt');
  if (promptAt < 0) throw new RoutingDataError(file, `no "prompt" column (columns: ${header.join(', ')})`);
  const body = table.slice(1).map((r, i) => {
    // JSONL rows may omit keys: pad. CSV rows must match the header.
    if (r.length !== header.length) throw new RoutingDataError(file, `row ${i + 2} has ${r.length} cells, header has ${header.length}`, { line: i + 2 });
    return r;
  });
  const explicitCost = new Set(Object.values(o.costColumns ?? {}));
  let modelCols: number[];
  if (o.models) {
    modelCols = o.models.map((m) => {
      const at = header.indexOf(m);
      if (at < 0) throw new RoutingDataError(file, `unknown model column "${m}" (columns: ${header.join(', ')})`, { column: m });
      return at;
    });
  } else {
    modelCols = header
      .map((_, c) => c)
      .filter((c) => c !== promptAt && !NOT_A_MODEL.test(header[c]!.trim()) && !explicitCost.has(header[c]!))
      .filter((c) => body.some((r) => r[c]!.trim() !== '') && body.every((r) => r[c]!.trim() === '' || parseScore(r[c]!, o.scale) !== undefined));
  }
  if (modelCols.length < 2) throw new RoutingDataError(file, `need at least two model columns of True/False or scores in [${o.scale?.min ?? 0}, ${o.scale?.max ?? 1}], found ${modelCols.length}`);
  const names = modelCols.map((c) => header[c]!);
  // Cost columns: explicit ones must exist; the rest by convention (all or none is not required: a model without one has no real cost).
  const costCols = new Map<string, number>();
  if (o.costs !== false) {
    for (const [m, col] of Object.entries(o.costColumns ?? {})) {
      if (!names.includes(m)) throw new RoutingDataError(file, `--cost-column names model "${m}", which is not a model column (models: ${names.join(', ')})`, { column: col });
      const at = header.indexOf(col);
      if (at < 0) throw new RoutingDataError(file, `unknown cost column "${col}" (columns: ${header.join(', ')})`, { column: col });
      costCols.set(m, at);
    }
    for (const m of names) if (!costCols.has(m)) {
      const at = conventionalCostColumn(header, m);
      if (at >= 0) costCols.set(m, at);
    }
  }
  let emptyCells = 0;
  const used = new Set([promptAt, ...modelCols, ...costCols.values()]);
  const rows = body.map((r, i): LabeledRow => {
    const scores: Record<string, number> = {};
    modelCols.forEach((c, k) => {
      if (r[c]!.trim() === '') {
        emptyCells++;
        return;
      }
      const s = parseScore(r[c]!, o.scale);
      if (s === undefined) throw new RoutingDataError(file, `row ${i + 2}, column "${names[k]}": "${r[c]}" is not True/False or a score in [${o.scale?.min ?? 0}, ${o.scale?.max ?? 1}]`, { line: i + 2 });
      scores[names[k]!] = s;
    });
    let costs: Record<string, number> | undefined;
    if (costCols.size) {
      costs = {};
      for (const [m, c] of costCols) {
        const cell = r[c]!.trim();
        if (cell === '') continue;
        const usd = Number(cell);
        if (!Number.isFinite(usd) || usd < 0) throw new RoutingDataError(file, `row ${i + 2}, cost column "${header[c]}": "${cell}" is not a cost in US dollars`, { line: i + 2 });
        costs[m] = Math.round(usd * 1e6);
      }
    }
    const meta: Record<string, string> = {};
    header.forEach((h, c) => {
      if (!used.has(c)) meta[h] = r[c]!;
    });
    const turns = unwrapListLiteral(r[promptAt]!);
    return { prompt: turns ? turns.join('\n\n') : r[promptAt]!, scores, ...(costs ? { costs } : {}), turns: turns?.length ?? 1, meta };
  });
  if (rows.length === 0) throw new RoutingDataError(file, 'no data rows');
  return {
    file,
    models: names,
    rows,
    emptyCells,
    ...(costCols.size ? { costColumns: Object.fromEntries([...costCols].map(([m, c]) => [m, header[c]!])) } : {}),
    ...(o.scale ? { scale: o.scale } : {}),
  };
}

/** Reads and parses a labeled routing file ({@link parseLabeledCsv}); a missing file is a {@link RoutingDataError}. */
export function readLabeledCsv(file: string, options: readonly string[] | LabeledOptions = {}): LabeledData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RoutingDataError(file, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot read (${(err as Error).message})`);
  }
  return parseLabeledCsv(text, file, options);
}

/** Rows with a label for every one of `models` (the others are counted). */
export function completeRows(data: LabeledData, models: readonly string[] = data.models): { data: LabeledData; dropped: number } {
  const rows = data.rows.filter((r) => models.every((m) => r.scores[m] !== undefined));
  return { data: { ...data, rows }, dropped: data.rows.length - rows.length };
}

/**
 * Several labeled files as one data set (e.g. RouterBench's per-task files): the same model columns in
 * every file (else {@link RoutingDataError}); rows in file order, empty cells summed.
 */
export function readLabeledFiles(files: readonly string[], options: LabeledOptions = {}): LabeledData {
  const parts = files.map((f) => readLabeledCsv(f, options));
  if (parts.length === 1) return parts[0]!;
  const first = parts[0]!;
  for (const p of parts.slice(1)) {
    if (p.models.join('\n') !== first.models.join('\n')) throw new RoutingDataError(p.file, `model columns (${p.models.join(', ')}) differ from ${first.file}'s (${first.models.join(', ')})`);
  }
  return {
    file: files.join(','),
    models: first.models,
    rows: parts.flatMap((p) => p.rows),
    emptyCells: parts.reduce((s, p) => s + p.emptyCells, 0),
    ...(parts.every((p) => p.costColumns) ? { costColumns: first.costColumns } : {}),
    ...(first.scale ? { scale: first.scale } : {}),
  };
}
