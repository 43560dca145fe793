import { parentPort, workerData } from 'node:worker_threads';
import { TraceRowError } from './errors.js';
import { fastParseTraceRequest } from './fast-parse.js';
import { readLineBatches } from './read-lines.js';
import { RowBatchBuilder } from './row-batch.js';

/**
 * The trace worker (started by `readTraceInWorker`, offline/trace/read-jsonl-worker.ts): reads a JSONL
 * trace, parses each line with the same fast parser as `parseTraceLine`, and posts the lines to the
 * main thread as {@link RowBatch}es. Lines the fast parser does not take in full (invalid ones, rows
 * with messages or labels) go as text, to be parsed — and judged — on the main thread.
 *
 * Flow control: at most {@link IN_FLIGHT} batches are posted and not yet taken at once (the main
 * thread counts the batches it takes in a shared Int32), so memory stays flat however far ahead of
 * the simulation the worker could read. Messages posted: `{ batch }`, then `{ done: true }`, or `{ error }`.
 */
export interface TraceWorkerData {
  file: string;
  batchLines: number;
  /** One Int32: batches the main thread has taken (it adds 1 and notifies; no message, which costs ms). */
  taken: SharedArrayBuffer;
}

const IN_FLIGHT = 4;
/**
 * Column slots in the builder's ring. Batch b may be written once batch b − SLOTS is finished. When the
 * worker starts batch b, the main thread has taken at least b − IN_FLIGHT + 1 batches. It reads only the
 * last batch it took, so batches up to b − IN_FLIGHT − 1 are finished. IN_FLIGHT + 1 slots would do;
 * one more is a margin.
 */
const SLOTS = IN_FLIGHT + 2;

/** `Atomics.waitAsync` (Node ≥ 16; typed from ES2024, newer than this project's `lib`). */
interface AtomicsWaitAsync {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}
const port = parentPort!;
const { file, batchLines, taken: takenBuffer } = workerData as TraceWorkerData;
const taken = new Int32Array(takenBuffer);
let posted = 0;
// A pending Atomics.waitAsync does not keep a thread alive: this listener does (the reader terminates the worker).
port.on('message', () => {});

async function send(builder: RowBatchBuilder, first: number): Promise<void> {
  port.postMessage({ batch: builder.take(first) });
  posted++;
  for (let seen = Atomics.load(taken, 0); posted - seen >= IN_FLIGHT; seen = Atomics.load(taken, 0)) {
    const wait = (Atomics as unknown as AtomicsWaitAsync).waitAsync(taken, 0, seen);
    if (wait.async) await wait.value;
  }
}

async function run(): Promise<void> {
  const builder = new RowBatchBuilder(batchLines, SLOTS);
  let first = 1;
  for await (const { first: at, texts } of readLineBatches(file)) {
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i]!;
      if (builder.size === 0) first = at + i;
      if (text.trim() === '') builder.blank();
      else {
        const row = parseFast(text);
        if (row) builder.row(row);
        else builder.text(text);
      }
      if (builder.full) await send(builder, first);
    }
  }
  if (builder.size > 0) await send(builder, first);
  port.postMessage({ done: true });
}

/** The fast parser's request for a line, when it takes the line in full as a token-count row; else `undefined`. */
function parseFast(text: string): ReturnType<typeof fastParseTraceRequest> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const row = fastParseTraceRequest(value as Record<string, unknown>);
  return row === undefined || row.messages !== undefined ? undefined : row;
}

// A row error (a line over the length limit) goes as data, so the main thread can throw it typed again.
run().catch((error: unknown) => port.postMessage({ error: error instanceof TraceRowError ? { traceRow: { file: error.file, line: error.line, reason: error.reason } } : error }));
