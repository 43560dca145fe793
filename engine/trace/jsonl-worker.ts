import { parentPort, workerData } from 'node:worker_threads';
import { fastParseTraceRequest } from './fast-parse.js';
import { readLineBatches } from './read-lines.js';
import { RowBatchBuilder } from './row-batch.js';

/**
 * The trace worker (started by `readTraceInWorker`, engine/trace/read-jsonl-worker.ts): reads a JSONL
 * trace, parses each line with the same fast parser as `parseTraceLine`, and posts the lines to the
 * main thread as {@link RowBatch}es. Lines the fast parser does not take in full (invalid ones, rows
 * with messages or labels) go as text, to be parsed — and judged — on the main thread.
 *
 * Flow control: at most {@link IN_FLIGHT} batches are unacknowledged at once (the main thread posts
 * `'ack'` for each batch it takes), so memory stays flat however far ahead of the simulation the
 * worker could read. Messages posted: `{ batch }`, then `{ done: true }`, or `{ error }`.
 */
export interface TraceWorkerData {
  file: string;
  batchLines: number;
}

const IN_FLIGHT = 4;
const port = parentPort!;
const { file, batchLines } = workerData as TraceWorkerData;

let unacked = 0;
let wake: (() => void) | undefined;
port.on('message', () => {
  unacked--;
  wake?.();
  wake = undefined;
});

async function send(builder: RowBatchBuilder, first: number): Promise<void> {
  const { batch, transfer } = builder.take(first);
  port.postMessage({ batch }, transfer);
  if (++unacked >= IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
}

async function run(): Promise<void> {
  const builder = new RowBatchBuilder(batchLines);
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

run().catch((error: unknown) => port.postMessage({ error }));
