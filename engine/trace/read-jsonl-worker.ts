import { Worker } from 'node:worker_threads';
import { parseTraceLine } from './read-jsonl.js';
import { TraceRowError } from './errors.js';
import { assertTraceFile } from './read-lines.js';
import { assertNotEmpty, emptyTraceStats, handleRowError, type TraceReadOptions, type TraceReadStats } from './read-options.js';
import { LINE_BLANK, LINE_TEXT, type RowBatch, RowBatchReader } from './row-batch.js';
import type { TraceRequest } from './schema.js';
import type { TraceWorkerData } from './jsonl-worker.js';

/** Lines per batch the worker posts. */
const BATCH_LINES = 4_096;

type WorkerMessage = { batch: RowBatch } | { done: true } | { error: unknown };

/**
 * {@link readTrace} with the reading and JSON parsing on a worker thread (engine/trace/jsonl-worker.ts),
 * so that a consumer on the main thread — the simulator — overlaps with it on a second core. The same
 * contract and the same results: the same requests in file order, the same line numbers, the same
 * typed errors per `options.onError` (every line the worker's fast parser does not take in full is
 * parsed here by `parseTraceLine`, and row errors are raised here in file order), the same stats.
 * Memory stays flat: the worker runs at most a few batches ahead. Ending the iteration early (or an
 * error) terminates the worker.
 */
export async function* readTraceInWorker(file: string, options: TraceReadOptions = {}): AsyncGenerator<TraceRequest, TraceReadStats> {
  const stats = options.stats ?? emptyTraceStats();
  for await (const rows of readTraceBatchesInWorker(file, { ...options, stats })) for (const row of rows) yield row;
  return stats;
}

/**
 * {@link readTraceInWorker} a batch of requests at a time (one array per worker batch, in file order;
 * never empty), for consumers that want to skip the per-row cost of async iteration.
 */
export async function* readTraceBatchesInWorker(file: string, options: TraceReadOptions = {}): AsyncGenerator<TraceRequest[], TraceReadStats> {
  const stats = options.stats ?? emptyTraceStats();
  await assertTraceFile(file);
  const inbox = new Inbox(file);
  const reader = new RowBatchReader();
  try {
    for (let m = await inbox.next(); !('done' in m); m = await inbox.next()) {
      if ('error' in m) throw m.error;
      const batch = m.batch;
      inbox.ack();
      reader.accept(batch);
      const rows: TraceRequest[] = [];
      const kinds = batch.kinds;
      let text = 0;
      for (let i = 0; i < kinds.length; i++) {
        const line = batch.first + i;
        stats.lines = line;
        const kind = kinds[i];
        if (kind === LINE_BLANK) continue;
        let row: TraceRequest | TraceRowError;
        if (kind === LINE_TEXT) {
          row = parseTraceLine(batch.texts[text++]!, line, file);
          if (row instanceof TraceRowError) {
            // The rows before the bad line go first, as from the line-by-line reader (a fatal error
            // after them; `onIssue` once they are consumed).
            if (rows.length > 0) yield rows.splice(0);
            handleRowError(row, options, stats);
            continue;
          }
        } else row = reader.row(batch, i);
        stats.requests += 1;
        rows.push(row);
      }
      if (rows.length > 0) yield rows;
    }
  } finally {
    await inbox.close();
  }
  assertNotEmpty(file, options, stats);
  return stats;
}

/** The worker and the messages it has posted that nobody has taken yet. */
class Inbox {
  private readonly worker: Worker;
  private readonly queue: WorkerMessage[] = [];
  private waiting: ((m: WorkerMessage) => void) | undefined;

  constructor(file: string) {
    const fromSource = import.meta.url.endsWith('.ts'); // running from TypeScript sources (tests): load the worker through jiti
    const data: TraceWorkerData = { file, batchLines: BATCH_LINES };
    this.worker = new Worker(new URL(fromSource ? './jsonl-worker.ts' : './jsonl-worker.js', import.meta.url), {
      workerData: data,
      ...(fromSource ? { execArgv: ['--import', 'jiti/register'] } : {}),
    });
    this.worker.on('message', (m: WorkerMessage) => this.push(m));
    this.worker.on('error', (error: unknown) => this.push({ error }));
    this.worker.on('exit', (code) => this.push(code === 0 ? { done: true } : { error: new Error(`trace worker exited with code ${code}`) }));
  }

  next(): Promise<WorkerMessage> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  ack(): void {
    this.worker.postMessage('ack');
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners();
    await this.worker.terminate();
  }

  private push(m: WorkerMessage): void {
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting(m);
    } else this.queue.push(m);
  }
}
