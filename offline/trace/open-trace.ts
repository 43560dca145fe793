import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { AZURE_COLUMNS, importAzureTrace, type AzureImportOptions } from './import-azure.js';
import { BURSTGPT_COLUMNS, importBurstGpt, type BurstGptImportOptions } from './import-burstgpt.js';
import { headerKey, splitCsvLine } from './csv-rows.js';
import { TraceEmptyError, TraceFormatError } from './errors.js';
import { assertTraceFile } from './read-lines.js';
import { readTrace } from './read-jsonl.js';
import { readTraceBatchesInWorker, readTraceInWorker } from './read-jsonl-worker.js';
import { emptyTraceStats, type TraceReadStats } from './read-options.js';
import type { TraceRequest } from './schema.js';

/** The trace formats Tollgate reads. */
export const TRACE_FORMATS = ['jsonl', 'burstgpt', 'azure'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

/** Options for {@link openTrace}: every reader's options, plus an explicit format. */
export interface OpenTraceOptions extends Omit<BurstGptImportOptions & AzureImportOptions, 'stats'> {
  /** Skip detection and read the file as this format. */
  format?: TraceFormat;
  /**
   * Read and parse a JSONL trace on a worker thread (`readTraceInWorker`: the same requests, errors
   * and stats), so the consumer overlaps with it on another core. `auto` does so for JSONL files of
   * {@link WORKER_MIN_BYTES} or more (below that, starting the worker costs more than it saves).
   * Default `false`. CSV formats are always read on the calling thread.
   */
  worker?: boolean | 'auto';
}

/** The JSONL file size from which `worker: 'auto'` reads on a worker thread. */
export const WORKER_MIN_BYTES = 8 << 20;

/** An opened trace: iterate it for its requests; `stats` fills in as you go (and restarts with each iteration). */
export interface TraceSource extends AsyncIterable<TraceRequest> {
  readonly file: string;
  readonly format: TraceFormat;
  readonly stats: TraceReadStats;
  /** The same requests a batch at a time (non-empty arrays, file order); present when read on a worker thread. */
  readonly batches?: () => AsyncIterable<TraceRequest[]>;
}

const SNIFF_BYTES = 64 * 1024;

/** The first non-blank line of a file (from its first 64 KiB), or undefined when there is none. */
async function firstLine(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
    return text.split(/\r?\n/).find((l) => l.trim() !== '');
  } finally {
    await handle.close();
  }
}

function hasColumns(header: string, columns: readonly string[]): boolean {
  const keys = splitCsvLine(header).map(headerKey);
  return columns.every((c) => keys.includes(headerKey(c)));
}

/**
 * Detects a trace file's format: `.jsonl`/`.ndjson` (or a first line starting with `{`) is
 * Tollgate JSONL; a CSV whose header has the BurstGPT or Azure columns is that format.
 * Throws `TraceNotFoundError` (missing file), `TraceEmptyError` (nothing but blank lines) or
 * `TraceFormatError` (anything else).
 */
export async function detectTraceFormat(file: string): Promise<TraceFormat> {
  await assertTraceFile(file);
  const ext = extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  const header = await firstLine(file);
  if (header === undefined) throw new TraceEmptyError(file, 0);
  if (header.trimStart().startsWith('{')) return 'jsonl';
  if (hasColumns(header, BURSTGPT_COLUMNS)) return 'burstgpt';
  if (hasColumns(header, AZURE_COLUMNS)) return 'azure';
  throw new TraceFormatError(
    file,
    `unknown trace format: expected Tollgate JSONL (.jsonl), a BurstGPT CSV (${BURSTGPT_COLUMNS.join(', ')}) or an Azure trace CSV (${AZURE_COLUMNS.join(', ')}); first line is "${header.slice(0, 120)}"`,
  );
}

/**
 * Opens any supported trace file for streaming: detects its format (unless `options.format`
 * is given) and returns a {@link TraceSource} that yields normalised requests in file order.
 * Missing files and unknown formats fail here, before iteration; row errors and
 * `TraceEmptyError` surface while iterating, per the reader options.
 */
export async function openTrace(file: string, options: OpenTraceOptions = {}): Promise<TraceSource> {
  const format = options.format ?? (await detectTraceFormat(file));
  const stats = emptyTraceStats();
  const readerOptions = { ...options, stats };
  const inWorker = format === 'jsonl' && (options.worker === true || (options.worker === 'auto' && (await stat(file)).size >= WORKER_MIN_BYTES));
  const iterate = (): AsyncGenerator<TraceRequest, TraceReadStats> => {
    Object.assign(stats, emptyTraceStats());
    if (format === 'burstgpt') return importBurstGpt(file, readerOptions);
    if (format === 'azure') return importAzureTrace(file, readerOptions);
    return inWorker ? readTraceInWorker(file, readerOptions) : readTrace(file, readerOptions);
  };
  const source: TraceSource = { file, format, stats, [Symbol.asyncIterator]: iterate };
  if (!inWorker) return source;
  const batches = (): AsyncGenerator<TraceRequest[], TraceReadStats> => {
    Object.assign(stats, emptyTraceStats());
    return readTraceBatchesInWorker(file, readerOptions);
  };
  return { ...source, batches };
}
