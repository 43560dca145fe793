import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EmbedJobLifecycle,
  LanceDbStore,
  createEmbedder,
  readEmbedJobState,
  runEmbedJob,
  startEmbedJob,
  type EmbedJobEvent,
  type EmbedJobState,
  type Embedder,
} from '../../embeddings/index.js';
import { cli } from '../cli/capture-io.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const counts = { texts: 10, embedded: 7, deduped: 3, stored: 7 };
const done = (chunk: number, now = chunk + 10): EmbedJobEvent => ({ type: 'CHUNK_DONE', now, chunk, ...counts });
const failed = (chunk: number, willRetry: boolean): EmbedJobEvent => ({ type: 'CHUNK_FAILED', now: 50, chunk, willRetry, error: { message: 'store down', code: 'store_unavailable' } });

/** Sends `events` in order; returns the state after each and whether each was taken. */
function walk(events: EmbedJobEvent[], job = new EmbedJobLifecycle()): { job: EmbedJobLifecycle; states: EmbedJobState[]; taken: boolean[] } {
  const states: EmbedJobState[] = [];
  const taken: boolean[] = [];
  for (const e of events) {
    taken.push(job.send(e));
    states.push(job.state);
  }
  return { job, states, taken };
}

describe('embedJobMachine (fake clock: every time is the event\'s `now`)', () => {
  it('queued → running → chunk progress → completed', () => {
    const { job, states } = walk([{ type: 'START', now: 1, totalBytes: 100 }, done(0), done(1), { type: 'COMPLETE', now: 20, stored: 2 }]);
    expect(states).toEqual(['running', 'running', 'running', 'completed']);
    expect(job.isFinal).toBe(true);
    expect(job.snapshot()).toEqual({
      state: 'completed',
      texts: 20,
      embedded: 14,
      deduped: 6,
      stored: 16,
      chunks: { done: 2, total: 2, failedAttempts: 0, retries: 0, retrying: [] },
      totalBytes: 100,
      startedAt: 1,
      updatedAt: 20,
      finishedAt: 20,
    });
  });

  it('a failed chunk is retried: running → retrying → (RETRY) → running once it is done', () => {
    const { job, states } = walk([{ type: 'START', now: 1 }, done(0), failed(1, true), { type: 'RETRY', now: 51, chunk: 1 }, failed(1, true), { type: 'RETRY', now: 52, chunk: 1 }, done(1, 60)]);
    expect(states).toEqual(['running', 'running', 'retrying', 'retrying', 'retrying', 'retrying', 'running']);
    expect(job.snapshot().chunks).toEqual({ done: 2, failedAttempts: 2, retries: 2, retrying: [] });
    expect(job.snapshot().error).toEqual({ message: 'store down', code: 'store_unavailable', chunk: 1 });
    job.send({ type: 'COMPLETE', now: 70 });
    expect(job.state).toBe('completed');
    expect(job.snapshot().error).toBeUndefined(); // history is in chunks.failedAttempts
  });

  it('stays retrying while another chunk still waits for its retry', () => {
    const { states, job } = walk([{ type: 'START', now: 1 }, failed(0, true), failed(1, true), done(0), done(1)]);
    expect(states).toEqual(['running', 'retrying', 'retrying', 'retrying', 'running']);
    expect(job.snapshot().chunks.retrying).toEqual([]);
  });

  it('a chunk out of retries fails the job, and a failed job takes no more events', () => {
    const { job, states, taken } = walk([{ type: 'START', now: 1 }, failed(0, true), failed(0, false), done(1), { type: 'COMPLETE', now: 99 }]);
    expect(states).toEqual(['running', 'retrying', 'failed', 'failed', 'failed']);
    expect(taken).toEqual([true, true, true, false, false]);
    expect(job.snapshot()).toMatchObject({ state: 'failed', finishedAt: 50, error: { chunk: 0, message: 'store down' }, chunks: { done: 0, failedAttempts: 2 } });
    expect(walk([{ type: 'START', now: 1 }, { type: 'FAIL', now: 5, error: { message: 'bad line', code: 'batch_input_invalid' } }]).job.snapshot()).toMatchObject({ state: 'failed', error: { code: 'batch_input_invalid' } });
  });

  it('CANCEL ends a queued, running or retrying job', () => {
    for (const before of [[], [{ type: 'START', now: 1 }], [{ type: 'START', now: 1 }, failed(0, true)]] as EmbedJobEvent[][]) {
      const { job } = walk([...before, { type: 'CANCEL', now: 9, reason: 'operator', stored: 3 }]);
      expect(job.snapshot()).toMatchObject({ state: 'cancelled', finishedAt: 9, stored: 3, error: { message: 'operator', code: 'job_cancelled' } });
    }
  });

  it('ignores events the state does not take (send says so) and changes nothing', () => {
    const { job, taken, states } = walk([{ type: 'COMPLETE', now: 1 }, { type: 'RETRY', now: 1, chunk: 0 }, { type: 'START', now: 2 }, { type: 'START', now: 3 }, { type: 'RETRY', now: 4, chunk: 0 }]);
    expect(taken).toEqual([false, false, true, false, false]);
    expect(states).toEqual(['queued', 'queued', 'running', 'running', 'running']);
    expect(job.snapshot()).toMatchObject({ startedAt: 2, updatedAt: 2, chunks: { retries: 0 } });
    // @ts-expect-error: events are a typed union; an unknown type does not compile
    expect(job.send({ type: 'PAUSE', now: 5 })).toBe(false);
  });

  it('with a known total, completes by itself when the last chunk is done (any order, before or after PLAN)', () => {
    expect(walk([done(1), { type: 'PLAN', now: 30, totalChunks: 2 }, done(0)]).states).toEqual(['running', 'running', 'completed']);
    expect(walk([done(1), done(0), { type: 'PLAN', now: 30, totalChunks: 2 }]).states).toEqual(['running', 'running', 'completed']);
    expect(walk([{ type: 'PLAN', now: 30, totalChunks: 0 }]).states).toEqual(['completed']);
    expect(walk([{ type: 'START', now: 1, totalChunks: 1 }, failed(0, true), { type: 'RETRY', now: 2, chunk: 0 }, done(0)]).states).toEqual(['running', 'retrying', 'retrying', 'completed']);
  });

  it('persists as JSON and restores in "another process"; replays an event log', () => {
    const events: EmbedJobEvent[] = [{ type: 'START', now: 1 }, done(0), failed(1, true)];
    const { job } = walk(events);
    const restored = EmbedJobLifecycle.restore(JSON.parse(JSON.stringify(job.persisted({ input: 'x' }))));
    expect(restored.snapshot()).toEqual(job.snapshot());
    expect(restored.send({ type: 'RETRY', now: 60, chunk: 1 })).toBe(true);
    expect(restored.send(done(1))).toBe(true);
    expect(restored.state).toBe('running');
    expect(EmbedJobLifecycle.replay(events).snapshot()).toEqual(job.snapshot());
  });
});

let root: string;
let embedder: Embedder;
/** n lines; the last quarter repeats the first (3n/4 distinct texts). */
const corpus = (n: number): string =>
  Array.from({ length: n }, (_, i) => {
    const j = i % ((3 * n) / 4);
    return JSON.stringify({ id: `d${i}`, text: `Note ${j} about topic ${j % 7} for team ${j % 5}.` });
  }).join('\n') + '\n';

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'tollgate-lifecycle-'));
  embedder = await createEmbedder();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function openStore(name: string): Promise<LanceDbStore> {
  return LanceDbStore.open({ dir: path.join(root, name), modelVersion: embedder.modelVersion, dimension: embedder.dimension });
}

describe('runEmbedJob drives the lifecycle (one event per batch)', () => {
  it('reports completed with counts and chunk progress; status() is live', async () => {
    const input = path.join(root, 'ok.jsonl');
    await writeFile(input, corpus(400));
    const store = await openStore('ok');
    let clock = 1000;
    const seen: string[] = [];
    const handle = startEmbedJob({ input, embedder, store, batchSize: 100, now: () => clock++, onProgress: () => seen.push(`${handle.status().state}:${handle.status().chunks.done}`) });
    expect(handle.status().state).toBe('queued');
    const stats = await handle.done;
    expect(seen).toEqual(['running:1', 'running:2', 'running:3', 'running:4']);
    expect(stats.job).toMatchObject({ state: 'completed', texts: 400, embedded: stats.embedded, deduped: 400 - stats.embedded, stored: stats.stored, chunks: { done: 4, total: 4, failedAttempts: 0, retries: 0 } });
    expect(stats.stored).toBe(300);
    expect(stats.job.startedAt).toBeGreaterThanOrEqual(1000);
    expect(handle.status()).toEqual(stats.job);
    await store.close();
  });

  it('a store failure (injected) retries the chunk: running → retrying → running, rows stored once', async () => {
    const input = path.join(root, 'retry.jsonl');
    await writeFile(input, corpus(400));
    const store = await openStore('retry');
    const flaky = Object.create(store) as LanceDbStore;
    let calls = 0;
    const statesAtCall: string[] = [];
    const handle = startEmbedJob({ input, embedder, store: flaky, batchSize: 100, flushRows: 100 });
    flaky.upsert = async (records) => {
      statesAtCall.push(handle.status().state);
      if (calls++ === 1) throw new Error('injected store failure');
      return store.upsert(records);
    };
    const stats = await handle.done;
    expect(statesAtCall.slice(0, 4)).toEqual(['running', 'running', 'retrying', 'running']);
    expect(stats.job).toMatchObject({ state: 'completed', stored: 300, chunks: { done: 4, failedAttempts: 1, retries: 1, retrying: [] } });
    expect(await store.count('default')).toBe(300);
    await store.close();
  });

  it('a chunk out of retries fails the job with its error', async () => {
    const input = path.join(root, 'fail.jsonl');
    await writeFile(input, corpus(200));
    const store = await openStore('fail');
    const broken = Object.create(store) as LanceDbStore;
    broken.upsert = async () => {
      throw new Error('disk full');
    };
    const handle = startEmbedJob({ input, embedder, store: broken, batchSize: 100, flushRows: 100, chunkRetries: 1 });
    await expect(handle.done).rejects.toThrow('disk full');
    expect(handle.status()).toMatchObject({ state: 'failed', chunks: { done: 0, failedAttempts: 2, retries: 1 }, error: { message: 'disk full', chunk: 0 } });
    await store.close();
  });

  it('an aborted job is cancelled, and a bad line fails it with the error code', async () => {
    const input = path.join(root, 'cancel.jsonl');
    await writeFile(input, corpus(400));
    const store = await openStore('cancel');
    const controller = new AbortController();
    const handle = startEmbedJob({ input, embedder, store, batchSize: 100, signal: controller.signal, onProgress: (p) => p.linesRead >= 200 && controller.abort() });
    await expect(handle.done).rejects.toThrow();
    expect(handle.status()).toMatchObject({ state: 'cancelled', chunks: { done: 2 }, error: { code: 'job_cancelled' } });
    expect(handle.status().stored).toBe(await store.count('default'));
    const bad = path.join(root, 'bad.jsonl');
    await writeFile(bad, '{"text":"fine"}\n{"text": 5}\n');
    const badJob = startEmbedJob({ input: bad, embedder, store });
    await expect(badJob.done).rejects.toMatchObject({ code: 'batch_input_invalid' });
    expect(badJob.status()).toMatchObject({ state: 'failed', error: { code: 'batch_input_invalid' } });
    await store.close();
  });

  it('a SIGKILLed job leaves its state file; the rerun reads it (resumedFrom) and completes without duplicates', async () => {
    const input = path.join(root, 'kill.jsonl');
    await writeFile(input, corpus(2000));
    const db = path.join(root, 'db-kill');
    const stateFile = `${db}.embed-job.json`;
    const child = spawn(process.execPath, ['--import', 'jiti/register', path.join(here, 'fixtures', 'run-embed-job-state.ts'), input, db, stateFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('progress')) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    await new Promise((r) => child.once('close', r));
    const left = await readEmbedJobState(stateFile);
    expect(left).toMatchObject({ state: 'running', chunks: { done: 1 }, texts: 250 });
    const store = await LanceDbStore.open({ dir: db, modelVersion: embedder.modelVersion, dimension: embedder.dimension });
    const partial = await store.count('default');
    expect(left?.stored).toBe(partial);
    const stats = await runEmbedJob({ input, embedder, store, batchSize: 500, stateFile });
    expect(stats.job.resumedFrom).toEqual({ state: 'running', chunksDone: 1, stored: partial, updatedAt: left?.updatedAt });
    expect(stats.dedup.alreadyStored).toBe(partial);
    expect(stats.job).toMatchObject({ state: 'completed', stored: 1500 - partial });
    expect(await store.count('default')).toBe(1500);
    expect(await readEmbedJobState(stateFile)).toEqual(stats.job);
    // Another input's state is not taken for this one's.
    const other = path.join(root, 'other.jsonl');
    await writeFile(other, corpus(40));
    expect((await runEmbedJob({ input: other, embedder, store, stateFile })).job.resumedFrom).toBeUndefined();
    await store.close();
  }, 60_000);

  it('`tollgate embed` prints the job state in its summary and keeps it next to the LanceDB dir', async () => {
    const input = path.join(root, 'cli.jsonl');
    await writeFile(input, corpus(40));
    const db = path.join(root, 'db-cli');
    const first = await cli('embed', '--input', input, '--db', db, '--batch', '16');
    expect(first.code).toBe(0);
    expect(first.out.split('\n')[0]).toBe('job completed: 3/3 chunks, 0 failed attempts, 0 retries');
    expect(await readEmbedJobState(`${db}.embed-job.json`)).toMatchObject({ state: 'completed', texts: 40, stored: 30 });
    const again = await cli('embed', '--input', input, '--db', `${db}/`, '--batch', '16', '--json');
    expect(JSON.parse(again.out).job).toMatchObject({ state: 'completed', stored: 0, resumedFrom: { state: 'completed', chunksDone: 3, stored: 30 } });
  });
});
