/**
 * Distributed embedding on BullMQ (Redis): `enqueueEmbedJob` streams a JSONL file into chunk jobs,
 * `startEmbedWorker` processes chunks (dedup → embed → upsert) in any number of processes.
 *
 * Same table as one process: the enqueuer drops in-input exact duplicates (first occurrence wins, as in
 * `runEmbedJob`), so every (tenant, namespace, text) lives in exactly one chunk and its stored row is the
 * same whichever worker takes it. Near-duplicate filtering depends on write order, so it is not offered here.
 * Chunk job ids are `<sha256(runId) prefix>-<chunk>`, so re-enqueueing the same run adds nothing twice.
 *
 * The run's lifecycle (job-lifecycle.ts) is persisted next to its chunk jobs: a Redis list
 * `<prefix>:<queue>:embed-run:<runKey>:events` of lifecycle events, one per chunk attempt (RPUSH is atomic,
 * so any number of workers append without coordination), and the enqueuer's PLAN with the chunk total.
 * `embedRunStatus` replays that log through the machine, so any process — a restarted worker, the CLI —
 * reports the run's state, counts and chunk progress; unfinished chunks stay queued in BullMQ and the next
 * worker resumes them.
 */
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import type { Embedder } from './embedder.js';
import type { VectorStore } from './vector-store.js';
import { readJsonlBatches } from './jsonl-input.js';
import { contentHash } from './content-hash.js';
import { EmbedPipeline, type EmbedItem, type EmbedPipelineTotals } from './embed-pipeline.js';
import { loadBullMq, loadIoRedis } from './optional-packages.js';
import { EmbedJobLifecycle, jobError, type EmbedJobEvent, type EmbedJobSnapshot } from './job-lifecycle.js';

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
  /** Clock (epoch ms) for the lifecycle events. Default Date.now. */
  now?: () => number;
}

export interface EnqueueResult {
  runId: string;
  chunks: number;
  texts: number;
  /** In-input exact duplicates dropped before enqueueing. */
  exactDuplicates: number;
  /** The run's lifecycle once every chunk is enqueued (`queued`, or further if workers already started). */
  job: EmbedRunStatus;
}

/** A distributed run's lifecycle, as replayed from its event log. */
export interface EmbedRunStatus extends EmbedJobSnapshot {
  runId: string;
}

interface ChunkData {
  runId: string;
  chunk: number;
  items: EmbedItem[];
}

const queueName = (c: QueueConnection): string => c.queueName ?? 'tollgate-embed';
const prefix = (c: QueueConnection): string => c.prefix ?? 'tollgate';
const redis = async (c: QueueConnection): Promise<Redis> => new (await loadIoRedis()).Redis(c.redisUrl, { maxRetriesPerRequest: null });
const runKeyOf = (runId: string): string => createHash('sha256').update(runId).digest('hex').slice(0, 16);
const runBase = (c: QueueConnection, runId: string): string => `${prefix(c)}:${queueName(c)}:embed-run:${runKeyOf(runId)}`;
const appendEvent = async (r: Redis, c: QueueConnection, runId: string, event: EmbedJobEvent): Promise<void> => {
  await r.rpush(`${runBase(c, runId)}:events`, JSON.stringify(event));
};

async function readRunStatus(r: Redis, c: QueueConnection, runId: string): Promise<EmbedRunStatus | undefined> {
  const base = runBase(c, runId);
  const [known, raw] = await Promise.all([r.exists(`${base}:meta`), r.lrange(`${base}:events`, 0, -1)]);
  if (!known && !raw.length) return undefined;
  // A chunk acknowledged twice (its worker died between reporting and acknowledging) counts once.
  const done = new Set<number>();
  const events = raw
    .map((line) => JSON.parse(line) as EmbedJobEvent)
    .filter((e) => e.type !== 'CHUNK_DONE' || (!done.has(e.chunk) && !!done.add(e.chunk)));
  return { runId, ...EmbedJobLifecycle.replay(events).snapshot() };
}

/**
 * Cancels run `runId`: its lifecycle becomes `cancelled` (from queued, running or retrying) and workers
 * acknowledge its remaining chunks without embedding them (one EXISTS per chunk). Rows already committed stay.
 */
export async function cancelEmbedRun(options: QueueConnection & { runId: string; reason?: string; now?: () => number }): Promise<EmbedRunStatus | undefined> {
  const connection = await redis(options);
  const base = runBase(options, options.runId);
  try {
    await connection.set(`${base}:cancelled`, '1');
    await appendEvent(connection, options, options.runId, { type: 'CANCEL', now: (options.now ?? Date.now)(), reason: options.reason ?? 'cancelled' });
    return await readRunStatus(connection, options, options.runId);
  } finally {
    connection.disconnect();
  }
}

/** The lifecycle of run `runId` (state, counts, chunk progress, error) from any process; undefined for an unknown run. */
export async function embedRunStatus(options: QueueConnection & { runId: string }): Promise<EmbedRunStatus | undefined> {
  const connection = await redis(options);
  try {
    return await readRunStatus(connection, options, options.runId);
  } finally {
    connection.disconnect();
  }
}

export async function enqueueEmbedJob(options: EnqueueOptions): Promise<EnqueueResult> {
  const { Queue } = await loadBullMq();
  const connection = await redis(options);
  const queue = new Queue<ChunkData>(queueName(options), { connection, prefix: prefix(options) });
  const runId = options.runId ?? options.input;
  const runKey = runKeyOf(runId);
  const now = options.now ?? Date.now;
  const seen = new Set<string>();
  const chunkSize = options.chunkSize ?? 512;
  const result: Omit<EnqueueResult, 'job'> = { runId, chunks: 0, texts: 0, exactDuplicates: 0 };
  const defaults = { tenant: options.tenant ?? 'default', namespace: options.namespace ?? 'default' };
  let pending: EmbedItem[] = [];
  const flush = async (): Promise<void> => {
    if (!pending.length) return;
    const chunk = result.chunks++;
    await queue.add('embed', { runId, chunk, items: pending }, { jobId: `${runKey}-${chunk}`, removeOnComplete: true, removeOnFail: false, attempts: 3 });
    pending = [];
  };
  const base = runBase(options, runId);
  try {
    // Enqueueing a run id starts its lifecycle afresh (queued).
    await connection.multi().del(`${base}:events`, `${base}:cancelled`).hset(`${base}:meta`, { runId, input: options.input, enqueuedAt: String(now()) }).exec();
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
    await appendEvent(connection, options, runId, { type: 'PLAN', now: now(), totalChunks: result.chunks });
    return { ...result, job: (await readRunStatus(connection, options, runId)) as EmbedRunStatus };
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

export interface EmbedWorkerOptions extends QueueConnection {
  embedder: Embedder;
  store: VectorStore;
  /** Chunks processed at once by this worker. Default 1. */
  concurrency?: number;
  /** Clock (epoch ms) for the lifecycle events. Default Date.now. */
  now?: () => number;
}

export interface EmbedWorkerHandle {
  worker: Worker<ChunkData>;
  /** Totals over the chunks this worker completed (an attempt that failed, and was retried, counts nothing). */
  totals(): EmbedPipelineTotals;
  /** A run's lifecycle (any worker's chunks, read from Redis). */
  status(runId: string): Promise<EmbedRunStatus | undefined>;
  close(): Promise<void>;
}

export async function startEmbedWorker(options: EmbedWorkerOptions): Promise<EmbedWorkerHandle> {
  const { Worker } = await loadBullMq();
  const connection = await redis(options);
  const now = options.now ?? Date.now;
  const totals: EmbedPipelineTotals = { texts: 0, tokens: 0, embedded: 0, embeddedTokens: 0, stored: 0, truncated: 0, embeddingSeconds: 0, vendorTokens: 0 };
  const worker = new Worker<ChunkData>(
    queueName(options),
    async (job: Job<ChunkData>) => {
      // A pipeline per attempt: a failed attempt (e.g. a store error; BullMQ retries it) leaves no
      // buffered rows behind and adds nothing to the totals.
      const { runId, chunk } = job.data;
      if (await connection.exists(`${runBase(options, runId)}:cancelled`)) return { chunk, cancelled: true };
      if (job.attemptsMade > 0) await appendEvent(connection, options, runId, { type: 'RETRY', now: now(), chunk });
      const pipeline = new EmbedPipeline({ embedder: options.embedder, store: options.store });
      try {
        await pipeline.process(job.data.items);
        await pipeline.flush(); // durable before the chunk is acknowledged
      } catch (error) {
        const willRetry = job.attemptsMade + 1 < (job.opts.attempts ?? 1);
        await appendEvent(connection, options, runId, { type: 'CHUNK_FAILED', now: now(), chunk, willRetry, error: jobError(error) });
        throw error;
      }
      const t = pipeline.totals;
      await appendEvent(connection, options, runId, { type: 'CHUNK_DONE', now: now(), chunk, texts: t.texts, embedded: t.embedded, deduped: t.texts - t.embedded, stored: t.stored });
      for (const key of Object.keys(totals) as (keyof EmbedPipelineTotals)[]) totals[key] += t[key];
      return { chunk };
    },
    { connection, prefix: prefix(options), concurrency: options.concurrency ?? 1 },
  );
  return {
    worker,
    totals: () => ({ ...totals }),
    status: (runId) => readRunStatus(connection, options, runId),
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

/** Deletes the queue and all its keys, run lifecycles included (tests, and after a finished run). */
export async function obliterateQueue(options: QueueConnection): Promise<void> {
  const { Queue } = await loadBullMq();
  const connection = await redis(options);
  const queue = new Queue(queueName(options), { connection, prefix: prefix(options) });
  try {
    await queue.obliterate({ force: true });
    const pattern = `${prefix(options)}:${queueName(options)}:embed-run:*`;
    let cursor = '0';
    do {
      const [next, keys] = await connection.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length) await connection.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
