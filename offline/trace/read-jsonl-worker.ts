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
/**
 * Requests per yielded array: rows are built from a batch this many at a time, just before they are
 * used, so they die young (a whole batch's rows outlived young-generation GC and grew peak RSS).
 */
const YIELD_ROWS = 128;

type WorkerMessage = { batch: RowBatch } | { done: true } | { error: unknown };

/**
 * {@link readTrace} with the reading and JSON parsing on a worker thread (offline/trace/jsonl-worker.ts),
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
 * {@link readTraceInWorker} a batch of requests at a time (arrays of up to {@link YIELD_ROWS}, in file
 * order; never empty), for consumers that want to skip the per-row cost of async iteration.
 */
export async function* readTraceBatchesInWorker(file: string, options: TraceReadOptions = {}): AsyncGenerator<TraceRequest[], TraceReadStats> {
  const stats = options.stats ?? emptyTraceStats();
  await assertTraceFile(file);
  const inbox = new Inbox(file);
  const reader = new RowBatchReader();
  try {
    for (let m = await inbox.next(); !('done' in m); m = await inbox.next()) {
      if ('error' in m) {
        const row = (m.error as { traceRow?: { file: string; line: number; reason: string } } | undefined)?.traceRow;
        throw row ? new TraceRowError(row.file, row.line, row.reason) : m.error;
      }
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
        if (rows.push(row) === YIELD_ROWS) yield rows.splice(0);
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
  private readonly taken = new Int32Array(new SharedArrayBuffer(4));

  constructor(file: string) {
    const fromSource = import.meta.url.endsWith('.ts'); // running from TypeScript sources (tests): load the worker through jiti
    const data: TraceWorkerData = { file, batchLines: BATCH_LINES, taken: this.taken.buffer as SharedArrayBuffer };
    this.worker = new Worker(new URL(fromSource ? './jsonl-worker.ts' : './jsonl-worker.js', import.meta.url), {
      workerData: data,
      // Its garbage (parsed lines) dies young: a small young generation keeps ~40 MiB off peak RSS at no cost in time.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
      ...(fromSource ? { execArgv: ['--import', 'jiti/register'] } : {}),
    });
    this.worker.on('message', (m: WorkerMessage) => this.push(m));
    this.worker.on('error', (error: unknown) => this.push({ error }));
    // The worker lives until the reader terminates it: an exit before that is a failure, never the end of the trace.
    this.worker.on('exit', (code) => this.push({ error: new Error(`trace worker stopped before the end of the trace (exit code ${code})`) }));
  }

  next(): Promise<WorkerMessage> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Tells the worker one more batch was taken (it may then read further ahead). */
  ack(): void {
    Atomics.add(this.taken, 0, 1);
    Atomics.notify(this.taken, 0);
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
