import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LanceDbStore, cancelEmbedRun, createEmbedder, embedRunStatus, enqueueEmbedJob, obliterateQueue, startEmbedWorker, waitForQueueDrained, type Embedder } from '../../embeddings/index.js';

// Needs redis-server on 127.0.0.1:6379 (or TOLLGATE_TEST_REDIS_URL); start it with `redis-server --daemonize yes`.
const REDIS_URL = process.env.TOLLGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const base = { redisUrl: REDIS_URL, prefix: `tollgate-lifecycle-${process.pid}-${Date.now()}` };
let root: string;
let embedder: Embedder;

/** n lines; every 5th repeats the line two before it (dropped by the enqueuer). */
const corpus = (n: number): string =>
  Array.from({ length: n }, (_, i) => {
    const j = i % 5 === 4 ? i - 2 : i;
    return JSON.stringify({ id: `q${i}`, text: `Question ${j} about topic ${j % 7} for team ${j % 13}?` });
  }).join('\n');

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'tollgate-dist-lifecycle-'));
  embedder = await createEmbedder();
});
afterAll(async () => {
  for (const queueName of ['lc-resume', 'lc-fail', 'lc-cancel']) await obliterateQueue({ ...base, queueName }).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

describe('distributed run lifecycle (persisted in Redis next to the chunk jobs)', () => {
  it('queued after enqueue; a chunk that fails when its worker stops is retried by a restarted worker, which completes the run', async () => {
    const conn = { ...base, queueName: 'lc-resume' };
    const input = path.join(root, 'resume.jsonl');
    await writeFile(input, corpus(500));
    const enqueued = await enqueueEmbedJob({ ...conn, input, runId: 'run-resume', chunkSize: 100 });
    const distinct = enqueued.texts - enqueued.exactDuplicates;
    expect(enqueued.job).toMatchObject({ runId: 'run-resume', state: 'queued', texts: 0, chunks: { done: 0, total: enqueued.chunks } });
    expect(await embedRunStatus({ ...conn, runId: 'run-resume' })).toEqual(enqueued.job);
    expect(await embedRunStatus({ ...conn, runId: 'no-such-run' })).toBeUndefined();

    // Worker A: commits its first chunk, then its store hangs on the second until the worker is stopped.
    const store = await LanceDbStore.open({ dir: path.join(root, 'db'), modelVersion: embedder.modelVersion, dimension: embedder.dimension });
    const dying = Object.create(store) as LanceDbStore;
    let release!: () => void;
    const stopped = new Promise<void>((r) => (release = r));
    let calls = 0;
    dying.upsert = async (records) => {
      if (calls++ === 0) return store.upsert(records);
      await stopped;
      throw new Error('worker stopped mid-chunk');
    };
    const a = await startEmbedWorker({ ...conn, embedder, store: dying });
    await until(async () => (await a.status('run-resume'))?.chunks.done === 1);
    const closing = a.close();
    release();
    await closing;

    // A restarted process reads the persisted state.
    const left = await embedRunStatus({ ...conn, runId: 'run-resume' });
    expect(left).toMatchObject({ state: 'retrying', chunks: { done: 1, total: enqueued.chunks, failedAttempts: 1, retries: 0 }, error: { message: 'worker stopped mid-chunk' } });
    expect(left?.chunks.retrying).toHaveLength(1);
    expect(left?.stored).toBe(await store.count('default'));

    const b = await startEmbedWorker({ ...conn, embedder, store });
    await waitForQueueDrained(conn);
    const final = await b.status('run-resume');
    await b.close();
    expect(final).toMatchObject({ state: 'completed', texts: distinct, stored: distinct, chunks: { done: enqueued.chunks, total: enqueued.chunks, failedAttempts: 1, retries: 1, retrying: [] } });
    expect(final!.embedded + final!.deduped).toBe(distinct);
    expect(await store.count('default')).toBe(distinct);
    expect(await embedRunStatus({ ...conn, runId: 'run-resume' })).toEqual(final);
    await store.close();
  }, 60_000);

  it('a chunk that fails all its attempts fails the run, with the error', async () => {
    const conn = { ...base, queueName: 'lc-fail' };
    const input = path.join(root, 'fail.jsonl');
    await writeFile(input, corpus(50));
    await enqueueEmbedJob({ ...conn, input, runId: 'run-fail', chunkSize: 100 });
    const store = await LanceDbStore.open({ dir: path.join(root, 'db-fail'), modelVersion: embedder.modelVersion, dimension: embedder.dimension });
    const broken = Object.create(store) as LanceDbStore;
    broken.upsert = async () => {
      throw new Error('injected store failure');
    };
    const w = await startEmbedWorker({ ...conn, embedder, store: broken });
    await expect(waitForQueueDrained(conn)).rejects.toThrow(/failed/);
    await w.close();
    expect(await embedRunStatus({ ...conn, runId: 'run-fail' })).toMatchObject({ state: 'failed', chunks: { done: 0, total: 1, failedAttempts: 3, retries: 2 }, error: { message: 'injected store failure', chunk: 0 } });
    await store.close();
  }, 60_000);

  it('a cancelled run is cancelled for every process, and workers skip its remaining chunks', async () => {
    const conn = { ...base, queueName: 'lc-cancel' };
    const input = path.join(root, 'cancel.jsonl');
    await writeFile(input, corpus(300));
    const enqueued = await enqueueEmbedJob({ ...conn, input, runId: 'run-cancel', chunkSize: 100 });
    const cancelled = await cancelEmbedRun({ ...conn, runId: 'run-cancel', reason: 'operator stopped it', now: () => 42 });
    expect(cancelled).toMatchObject({ state: 'cancelled', finishedAt: 42, error: { message: 'operator stopped it', code: 'job_cancelled' } });
    const store = await LanceDbStore.open({ dir: path.join(root, 'db-cancel'), modelVersion: embedder.modelVersion, dimension: embedder.dimension });
    const w = await startEmbedWorker({ ...conn, embedder, store });
    await waitForQueueDrained(conn);
    await w.close();
    expect(w.totals().texts).toBe(0);
    expect(await store.count('default')).toBe(0);
    expect(await embedRunStatus({ ...conn, runId: 'run-cancel' })).toEqual(cancelled);
    // Enqueueing the run again starts it afresh.
    expect((await enqueueEmbedJob({ ...conn, input, runId: 'run-cancel', chunkSize: 100 })).job).toMatchObject({ state: 'queued', chunks: { total: enqueued.chunks } });
    await store.close();
  }, 60_000);
});
