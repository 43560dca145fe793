import { resultIndex } from './client-batch-lines.js';
import type { BatchEntry, BatchObject, ClientBatchStore } from './client-batch-store.js';

/** A batch's results as the store holds them: counted, summed and published once (./client-batch-runner.ts). */

const EMPTY_USAGE = (): BatchObject['usage'] => ({ input_tokens: 0, input_tokens_details: { cached_tokens: 0 }, output_tokens: 0, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 0 });

/** A part's result lines: from its published file once there is one, else as appended so far. */
function resultLines(store: ClientBatchStore, e: BatchEntry, part: 'output' | 'errors'): string[] {
  const published = part === 'output' ? e.batch.output_file_id : e.batch.error_file_id;
  if (!published) return store.results(e.batch.id, part);
  return (store.fileContent(e.tenant, published)?.toString('utf8') ?? '').split('\n').filter((l) => l !== '');
}

/** The line indexes with a result so far; the batch's counts and token usage recomputed from them (so a resumed batch's are right). */
export function tallyResults(store: ClientBatchStore, e: BatchEntry): Set<number> {
  const b = e.batch;
  const done = new Set<number>();
  const ok = resultLines(store, e, 'output');
  const failed = resultLines(store, e, 'errors');
  for (const l of [...ok, ...failed]) {
    const i = resultIndex(l);
    if (i !== undefined) done.add(i);
  }
  if (b.status === 'validating') return done;
  const usage = { ...EMPTY_USAGE(), output_tokens_details: b.usage.output_tokens_details };
  for (const l of ok) {
    const u = (JSON.parse(l) as { response?: { body?: { usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } } } } }).response?.body?.usage;
    usage.input_tokens += u?.prompt_tokens ?? 0;
    usage.output_tokens += u?.completion_tokens ?? 0;
    usage.input_tokens_details.cached_tokens += u?.prompt_tokens_details?.cached_tokens ?? 0;
  }
  usage.total_tokens = usage.input_tokens + usage.output_tokens;
  b.usage = usage;
  b.request_counts.completed = ok.length;
  b.request_counts.failed = failed.length;
  return done;
}

/** Publishes the output and error parts as files, each once: the file's id is saved before the part is removed. */
export function publishResults(store: ClientBatchStore, e: BatchEntry): void {
  for (const part of ['output', 'errors'] as const) {
    const key = part === 'output' ? 'output_file_id' : 'error_file_id';
    if (e.batch[key]) continue;
    const f = store.publishResults(e, part);
    if (!f) continue;
    e.batch[key] = f.id;
    store.saveBatch(e);
    store.dropResults(e.batch.id, part);
  }
}
