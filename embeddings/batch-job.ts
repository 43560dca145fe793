/**
 * `runEmbedJob` / `startEmbedJob`: streams a JSONL file (`{id?, text, tenant?, namespace?}` per line), dedups,
 * embeds and upserts, committing every `flushRows` rows. Resumable: a rerun skips stored hashes, so a killed
 * job loses at most the uncommitted rows (re-embedded on rerun) and never duplicates a row.
 * The job's lifecycle (job-lifecycle.ts) moves one event per batch ("chunk"); a failed store call is retried
 * (`chunkRetries`), and the lifecycle's snapshot is `handle.status()`, `stats.job`, and — with `stateFile` —
 * a JSON file that the next run of the same input reads back (`resumedFrom`).
 * This is the library half of `tollgate embed`.
 */
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Embedder } from './embedder.js';
import type { VectorStore } from './vector-store.js';
import { BatchInputError } from './errors.js';
import { EmbedPipeline, type TenantEmbedTotals } from './embed-pipeline.js';
import { readJsonlBatches } from './jsonl-input.js';
import { DEFAULT_CPU_HOURLY_USD, DEFAULT_GPU_HOURLY_USD, priceEmbedCompute, type ComputePrices, type EmbedJobCompute, type VendorEmbeddingPrice } from './job-compute.js';
import type { DedupCostModel, DedupReport } from './dedup.js';
import { EmbedJobLifecycle, jobError, type EmbedJobSnapshot, type PersistedEmbedJob } from './job-lifecycle.js';

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
  /** Hourly prices for the job's measured compute (`stats.compute`). Default $2.50 per GPU-hour, $0.05 per vCPU-hour. */
  prices?: Partial<ComputePrices>;
  /** A vendor embedding price to compare with (`stats.compute.vendor`): the same texts at its price. */
  compare?: VendorEmbeddingPrice;
  signal?: AbortSignal;
  onProgress?: (progress: EmbedJobProgress) => void;
  /** Attempts after a failed store call before the job fails (an upsert is idempotent, so a retry is safe). Default 2. */
  chunkRetries?: number;
  /**
   * Where the job's lifecycle snapshot is persisted (JSON, written atomically), e.g. next to the LanceDB
   * directory. A run of the same input finds the previous run's state there (`job.resumedFrom`).
   */
  stateFile?: string;
  /** Minimum ms of the job clock between state-file writes while running (failures and the end always write). Default 250. */
  stateWriteIntervalMs?: number;
  /** The job clock (epoch ms) for the lifecycle's timestamps. Default Date.now. */
  now?: () => number;
}

/** A started job: its live lifecycle snapshot and its result. */
export interface EmbedJobHandle {
  /** The lifecycle now: state, counts, chunk progress, error. */
  status(): EmbedJobSnapshot;
  /** Resolves with the stats (`stats.job` is the final snapshot); rejects with the error that ended the job. */
  done: Promise<EmbedJobStats>;
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
  /** Measured compute (execution provider, wall, CPU and GPU seconds), its infra cost per 1M tokens, and the vendor comparison. */
  compute: EmbedJobCompute;
  /** Per tenant: the texts that needed a vector in this run (for the job's ledger lines). */
  byTenant: Record<string, TenantEmbedTotals>;
  modelId: string;
  modelVersion: string;
  /** The job's lifecycle at the end (state `completed`). */
  job: EmbedJobSnapshot;
}

/** Runs a job to its end (see {@link startEmbedJob} for a handle with a live status). */
export async function runEmbedJob(options: EmbedJobOptions): Promise<EmbedJobStats> {
  return startEmbedJob(options).done;
}

/** Reads a job's persisted state file; undefined when there is none. */
export async function readEmbedJobState(stateFile: string): Promise<EmbedJobSnapshot | undefined> {
  return (await readPersisted(stateFile))?.job.snapshot();
}

async function readPersisted(stateFile: string): Promise<{ job: EmbedJobLifecycle; meta: Record<string, string> } | undefined> {
  let text: string;
  try {
    text = await readFile(stateFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const persisted = JSON.parse(text) as PersistedEmbedJob;
  return { job: EmbedJobLifecycle.restore(persisted), meta: persisted.meta ?? {} };
}

/** Starts a job; the lifecycle is `queued` until the input is opened. */
export function startEmbedJob(options: EmbedJobOptions): EmbedJobHandle {
  const now = options.now ?? Date.now;
  const lifecycle = { job: new EmbedJobLifecycle() };
  const done = runJob(options, now, lifecycle);
  done.catch(() => undefined); // the caller observes `done`; no unhandled rejection if it only polls status()
  return { status: () => lifecycle.job.snapshot(), done };
}

/** A store whose calls are retried `retries` times, each failure and retry reported to the lifecycle. */
function retryingStore(store: VectorStore, retries: number, report: { failed(error: unknown, willRetry: boolean): void; retry(): void }): VectorStore {
  const retryable = (error: unknown): boolean => (error as { code?: unknown })?.code !== 'vector_dimension_mismatch';
  const wrap =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await call(...args);
        } catch (error) {
          const willRetry = attempt < retries && retryable(error);
          report.failed(error, willRetry);
          if (!willRetry) throw error;
          report.retry();
        }
      }
    };
  return {
    ...(store.specificationVersion !== undefined ? { specificationVersion: store.specificationVersion } : {}),
    modelVersion: store.modelVersion,
    dimension: store.dimension,
    upsert: wrap((records) => store.upsert(records)),
    search: wrap((query) => store.search(query)),
    existingHashes: wrap((tenant, namespace, hashes) => store.existingHashes(tenant, namespace, hashes)),
    count: (namespace, tenant) => store.count(namespace, tenant),
    close: () => store.close(),
  };
}

async function runJob(options: EmbedJobOptions, now: () => number, lifecycle: { job: EmbedJobLifecycle }): Promise<EmbedJobStats> {
  const { embedder } = options;
  const cost = options.cost ?? { device: 'cpu', costPerHourMicros: 0 };
  const defaults = { tenant: options.tenant ?? 'default', namespace: options.namespace ?? 'default' };
  const meta = { input: path.resolve(options.input) };
  if (options.stateFile) {
    const previous = await readPersisted(options.stateFile);
    if (previous && previous.meta.input === meta.input) {
      const p = previous.job.snapshot();
      lifecycle.job = new EmbedJobLifecycle({ resumedFrom: { state: p.state, chunksDone: p.chunks.done, stored: p.stored, ...(p.updatedAt !== undefined ? { updatedAt: p.updatedAt } : {}) } });
    }
  }
  const job = lifecycle.job;
  let lastWrite = -Infinity;
  const persist = async (force: boolean): Promise<void> => {
    if (!options.stateFile || (!force && now() - lastWrite < (options.stateWriteIntervalMs ?? 250))) return;
    lastWrite = now();
    const tmp = `${options.stateFile}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(job.persisted(meta)));
    await rename(tmp, options.stateFile);
  };
  let chunk = 0;
  let failedSinceWrite = false;
  const store = retryingStore(options.store, options.chunkRetries ?? 2, {
    failed: (error, willRetry) => {
      failedSinceWrite = true;
      job.send({ type: 'CHUNK_FAILED', now: now(), chunk, willRetry, error: jobError(error) });
    },
    retry: () => job.send({ type: 'RETRY', now: now(), chunk }),
  });
  const pipeline = new EmbedPipeline({
    embedder,
    store,
    ...(options.nearDuplicateThreshold !== undefined ? { nearDuplicateThreshold: options.nearDuplicateThreshold } : {}),
    ...(options.flushRows !== undefined ? { flushRows: options.flushRows } : {}),
    ...(options.compare ? { countVendorTokens: options.compare.countTokens } : {}),
  });
  const totalBytes = (await stat(options.input)).size;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  job.send({ type: 'START', now: now(), totalBytes });
  await persist(true);
  let ended: { error: unknown } | undefined;
  try {
    for await (const batch of readJsonlBatches(options.input, options.batchSize ?? 256, defaults)) {
      options.signal?.throwIfAborted();
      const before = { texts: pipeline.totals.texts, embedded: pipeline.totals.embedded, stored: pipeline.totals.stored };
      await pipeline.process(batch.items);
      const texts = pipeline.totals.texts - before.texts;
      const embedded = pipeline.totals.embedded - before.embedded;
      job.send({ type: 'CHUNK_DONE', now: now(), chunk, texts, embedded, deduped: texts - embedded, stored: pipeline.totals.stored - before.stored, bytesRead: batch.bytesRead });
      chunk++;
      await persist(failedSinceWrite);
      failedSinceWrite = false;
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
  } catch (error) {
    ended = { error };
  }
  // On abort or a bad line too: keep what was embedded. The final commit's rows go with the closing event.
  const storedBefore = pipeline.totals.stored;
  let flushError: unknown;
  try {
    await pipeline.flush();
  } catch (error) {
    flushError = error;
  }
  const stored = pipeline.totals.stored - storedBefore;
  const error = ended?.error ?? flushError;
  if (error !== undefined) {
    if (options.signal?.aborted) job.send({ type: 'CANCEL', now: now(), stored, reason: reasonOf(options.signal) });
    else job.send({ type: 'FAIL', now: now(), stored, error: jobError(error, error instanceof BatchInputError ? undefined : chunk) });
    await persist(true);
    throw error;
  }
  job.send({ type: 'COMPLETE', now: now(), stored });
  await persist(true);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const t = pipeline.totals;
  const fallbackReason = (embedder as { fallbackReason?: unknown }).fallbackReason;
  const compute = priceEmbedCompute(
    {
      executionProvider: embedder.executionProvider,
      ...(typeof fallbackReason === 'string' && { fallbackReason }),
      wallSeconds,
      embeddingSeconds: t.embeddingSeconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      embeddedTokens: t.embeddedTokens,
      vendorTokens: t.vendorTokens,
    },
    { gpuHourlyUsd: options.prices?.gpuHourlyUsd ?? DEFAULT_GPU_HOURLY_USD, cpuHourlyUsd: options.prices?.cpuHourlyUsd ?? DEFAULT_CPU_HOURLY_USD },
    options.compare,
  );
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
    compute,
    byTenant: Object.fromEntries(pipeline.byTenant),
    modelId: embedder.modelId,
    modelVersion: embedder.modelVersion,
    job: job.snapshot(),
  };
}

const reasonOf = (signal: AbortSignal): string => {
  const r = signal.reason as { message?: unknown } | undefined;
  return typeof r?.message === 'string' ? r.message : 'aborted';
};
