/**
 * Distributed embedding on BullMQ (Redis): `enqueueEmbedJob` streams a JSONL file into chunk jobs,
 * `startEmbedWorker` processes chunks (dedup → embed → upsert) in any number of processes.
 *
 * Same table as one process: the enqueuer drops in-input exact duplicates (first occurrence wins, as in
 * `runEmbedJob`), so every (tenant, namespace, text) lives in exactly one chunk and its stored row is the
 * same whichever worker takes it. Near-duplicate filtering depends on write order, so it is not offered here.
 * Chunk job ids are `<sha256(runId) prefix>-<chunk>`, so re-enqueueing the same run adds nothing twice.
 */
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import type { Embedder } from './embedder.js';
import type { VectorStore } from './vector-store.js';
import { readJsonlBatches } from './batch-job.js';
import { contentHash } from './content-hash.js';
import { EmbedPipeline, type EmbedItem, type EmbedPipelineTotals } from './embed-pipeline.js';
import { loadBullMq, loadIoRedis } from './optional-packages.js';

export interface QueueConnection {
  /** redis://host:port/db */
  redisUrl: string;
  /** Default "tollgate-embed". */
  queueName?: string;
  /** BullMQ key prefix. Default "tollgate". */
  prefix?: string;
}

export interface EnqueueOptions extends QueueConnection {
  input: string;
  /** Identifies this run's chunks (job ids). Default: the input path. */
  runId?: string;
  /** Texts per chunk job. Default 512. */
  chunkSize?: number;
  namespace?: string;
  tenant?: string;
}

export interface EnqueueResult {
  runId: string;
  chunks: number;
  texts: number;
  /** In-input exact duplicates dropped before enqueueing. */
  exactDuplicates: number;
}

interface ChunkData {
  runId: string;
  chunk: number;
  items: EmbedItem[];
}

const queueName = (c: QueueConnection): string => c.queueName ?? 'tollgate-embed';
const prefix = (c: QueueConnection): string => c.prefix ?? 'tollgate';
const redis = async (c: QueueConnection): Promise<Redis> => new (await loadIoRedis()).Redis(c.redisUrl, { maxRetriesPerRequest: null });

export async function enqueueEmbedJob(options: EnqueueOptions): Promise<EnqueueResult> {
  const { Queue } = await loadBullMq();
  const connection = await redis(options);
  const queue = new Queue<ChunkData>(queueName(options), { connection, prefix: prefix(options) });
  const runId = options.runId ?? options.input;
  const runKey = createHash('sha256').update(runId).digest('hex').slice(0, 16);
  const seen = new Set<string>();
  const chunkSize = options.chunkSize ?? 512;
  const result: EnqueueResult = { runId, chunks: 0, texts: 0, exactDuplicates: 0 };
  const defaults = { tenant: options.tenant ?? 'default', namespace: options.namespace ?? 'default' };
  let pending: EmbedItem[] = [];
  const flush = async (): Promise<void> => {
    if (!pending.length) return;
    const chunk = result.chunks++;
    await queue.add('embed', { runId, chunk, items: pending }, { jobId: `${runKey}-${chunk}`, removeOnComplete: true, removeOnFail: false, attempts: 3 });
    pending = [];
  };
  try {
    for await (const batch of readJsonlBatches(options.input, chunkSize, defaults)) {
      for (const item of batch.items) {
        result.texts++;
        const key = `${item.tenant}\0${item.namespace}\0${contentHash(item.text)}`;
        if (seen.has(key)) result.exactDuplicates++;
        else {
          seen.add(key);
          pending.push(item);
        }
        if (pending.length >= chunkSize) await flush();
      }
    }
    await flush();
  } finally {
    await queue.close();
    connection.disconnect();
  }
  return result;
}

export interface EmbedWorkerOptions extends QueueConnection {
  embedder: Embedder;
  store: VectorStore;
  /** Chunks processed at once by this worker. Default 1. */
  concurrency?: number;
}

export interface EmbedWorkerHandle {
  worker: Worker<ChunkData>;
  /** Totals over the chunks this worker completed (an attempt that failed, and was retried, counts nothing). */
  totals(): EmbedPipelineTotals;
  close(): Promise<void>;
}

export async function startEmbedWorker(options: EmbedWorkerOptions): Promise<EmbedWorkerHandle> {
  const { Worker } = await loadBullMq();
  const connection = await redis(options);
  const totals: EmbedPipelineTotals = { texts: 0, tokens: 0, embedded: 0, embeddedTokens: 0, stored: 0, truncated: 0, embeddingSeconds: 0 };
  const worker = new Worker<ChunkData>(
    queueName(options),
    async (job: Job<ChunkData>) => {
      // A pipeline per attempt: a failed attempt (e.g. a store error; BullMQ retries it) leaves no
      // buffered rows behind and adds nothing to the totals.
      const pipeline = new EmbedPipeline({ embedder: options.embedder, store: options.store });
      await pipeline.process(job.data.items);
      await pipeline.flush(); // durable before the chunk is acknowledged
      for (const key of Object.keys(totals) as (keyof EmbedPipelineTotals)[]) totals[key] += pipeline.totals[key];
      return { chunk: job.data.chunk };
    },
    { connection, prefix: prefix(options), concurrency: options.concurrency ?? 1 },
  );
  return {
    worker,
    totals: () => ({ ...totals }),
    close: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
}

/** Resolves when the queue has no waiting, delayed or active jobs; rejects if any job failed for good. */
export async function waitForQueueDrained(options: QueueConnection, pollMs = 100): Promise<void> {
  const { Queue } = await loadBullMq();
  const connection = await redis(options);
  const queue = new Queue(queueName(options), { connection, prefix: prefix(options) });
  try {
    for (;;) {
      const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'failed', 'prioritized');
      if (counts.failed) throw new Error(`${counts.failed} embedding chunk job(s) failed; see queue ${queueName(options)}`);
      if (!counts.waiting && !counts.delayed && !counts.active && !counts.prioritized) return;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** Deletes the queue and all its keys (tests, and after a finished run). */
export async function obliterateQueue(options: QueueConnection): Promise<void> {
  const { Queue } = await loadBullMq();
  const connection = await redis(options);
  const queue = new Queue(queueName(options), { connection, prefix: prefix(options) });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
