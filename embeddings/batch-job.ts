/**
 * `runEmbedJob`: streams a JSONL file (`{id?, text, tenant?, namespace?}` per line), dedups, embeds and
 * upserts, committing every `flushRows` rows. Resumable: a rerun skips stored hashes, so a killed job loses
 * at most the uncommitted rows (re-embedded on rerun) and never duplicates a row.
 * This is the library half of `tollgate embed`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Embedder } from './embedder.js';
import type { VectorStore } from './vector-store.js';
import { BatchInputError } from './errors.js';
import { EmbedPipeline, type EmbedItem } from './embed-pipeline.js';
import type { DedupCostModel, DedupReport } from './dedup.js';

export interface EmbedJobProgress {
  linesRead: number;
  bytesRead: number;
  totalBytes: number;
  textsPerSecond: number;
  /** Seconds left at the current rate, by bytes; undefined before the first batch. */
  etaSeconds: number | undefined;
  embedded: number;
  stored: number;
}

export interface EmbedJobOptions {
  input: string;
  embedder: Embedder;
  store: VectorStore;
  /** Namespace for lines without one. Default "default". */
  namespace?: string;
  /** Tenant for lines without one. Default "default". */
  tenant?: string;
  /** Lines per batch. Default 256. */
  batchSize?: number;
  /** Rows per store commit (see EmbedPipelineOptions.flushRows). Default 4,096. */
  flushRows?: number;
  nearDuplicateThreshold?: number;
  /** Device price for dedup savings and cost per 1M tokens. Default CPU at 0. */
  cost?: DedupCostModel;
  signal?: AbortSignal;
  onProgress?: (progress: EmbedJobProgress) => void;
}

export interface EmbedJobStats {
  texts: number;
  embedded: number;
  stored: number;
  tokens: number;
  embeddedTokens: number;
  truncated: number;
  wallSeconds: number;
  embeddingSeconds: number;
  textsPerSecond: number;
  tokensPerSecond: number;
  /** Device-hours (embedder time) per million embedded tokens. */
  deviceHoursPerMillionTokens: number;
  costPerMillionTokensMicros: number;
  dedup: DedupReport;
  modelId: string;
  modelVersion: string;
}

/** Parses one JSONL line into an item; throws BatchInputError naming the line. */
export function parseEmbedLine(line: string, file: string, lineNumber: number, defaults: { tenant: string; namespace: string }): EmbedItem {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new BatchInputError(file, lineNumber, `not JSON (${(error as Error).message})`);
  }
  const row = value as Record<string, unknown>;
  if (typeof row !== 'object' || row === null || typeof row.text !== 'string') throw new BatchInputError(file, lineNumber, 'expected an object with a string "text"');
  for (const field of ['id', 'tenant', 'namespace'] as const) {
    if (row[field] !== undefined && typeof row[field] !== 'string' && !(field === 'id' && typeof row[field] === 'number')) {
      throw new BatchInputError(file, lineNumber, `"${field}" must be a string`);
    }
  }
  return {
    text: row.text,
    tenant: (row.tenant as string | undefined) ?? defaults.tenant,
    namespace: (row.namespace as string | undefined) ?? defaults.namespace,
    ...(row.id !== undefined ? { id: String(row.id) } : {}),
  };
}

/** Reads a JSONL file in batches of `batchSize` parsed items (blank lines skipped). */
export async function* readJsonlBatches(file: string, batchSize: number, defaults: { tenant: string; namespace: string }): AsyncGenerator<{ items: EmbedItem[]; bytesRead: number; linesRead: number }> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let items: EmbedItem[] = [];
  let lineNumber = 0;
  let bytesRead = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      bytesRead += Buffer.byteLength(line, 'utf8') + 1;
      if (line.trim() === '') continue;
      items.push(parseEmbedLine(line, file, lineNumber, defaults));
      if (items.length >= batchSize) {
        yield { items, bytesRead, linesRead: lineNumber };
        items = [];
      }
    }
    if (items.length) yield { items, bytesRead, linesRead: lineNumber };
  } finally {
    lines.close();
    stream.destroy();
  }
}

export async function runEmbedJob(options: EmbedJobOptions): Promise<EmbedJobStats> {
  const { embedder, store } = options;
  const cost = options.cost ?? { device: 'cpu', costPerHourMicros: 0 };
  const defaults = { tenant: options.tenant ?? 'default', namespace: options.namespace ?? 'default' };
  const pipeline = new EmbedPipeline({
    embedder,
    store,
    ...(options.nearDuplicateThreshold !== undefined ? { nearDuplicateThreshold: options.nearDuplicateThreshold } : {}),
    ...(options.flushRows !== undefined ? { flushRows: options.flushRows } : {}),
  });
  const totalBytes = (await stat(options.input)).size;
  const started = performance.now();
  try {
    for await (const batch of readJsonlBatches(options.input, options.batchSize ?? 256, defaults)) {
      options.signal?.throwIfAborted();
      await pipeline.process(batch.items);
      const seconds = (performance.now() - started) / 1000;
      const rate = pipeline.totals.texts / seconds;
      const bytesPerSecond = batch.bytesRead / seconds;
      options.onProgress?.({
        linesRead: batch.linesRead,
        bytesRead: batch.bytesRead,
        totalBytes,
        textsPerSecond: rate,
        etaSeconds: bytesPerSecond > 0 ? Math.max(0, (totalBytes - batch.bytesRead) / bytesPerSecond) : undefined,
        embedded: pipeline.totals.embedded,
        stored: pipeline.totals.stored,
      });
    }
  } finally {
    await pipeline.flush(); // on abort or a bad line too: keep what was embedded
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const t = pipeline.totals;
  const deviceHoursPerMillionTokens = t.embeddedTokens ? (t.embeddingSeconds / 3600 / t.embeddedTokens) * 1e6 : 0;
  return {
    texts: t.texts,
    embedded: t.embedded,
    stored: t.stored,
    tokens: t.tokens,
    embeddedTokens: t.embeddedTokens,
    truncated: t.truncated,
    wallSeconds,
    embeddingSeconds: t.embeddingSeconds,
    textsPerSecond: t.texts / wallSeconds,
    tokensPerSecond: t.tokens / wallSeconds,
    deviceHoursPerMillionTokens,
    costPerMillionTokensMicros: Math.round(deviceHoursPerMillionTokens * cost.costPerHourMicros),
    dedup: pipeline.dedupReport(cost),
    modelId: embedder.modelId,
    modelVersion: embedder.modelVersion,
  };
}
