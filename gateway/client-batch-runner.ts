import { TollgateError, type Tollgate, type TollgateRequest } from '../index.js';
import { httpFailure } from './http-errors.js';
import { FINAL_BATCH_STATUSES, canClientBatch, nextClientBatchStatus, type ClientBatchEvent } from './client-batch-machine.js';
import { batchLines, errorLine, failedLine, lineRequestId, okLine, resultIndex, type BatchLine } from './client-batch-lines.js';
import type { BatchEntry, BatchObject, ClientBatchStore } from './client-batch-store.js';

/** Lines of client batches run at once, over all batches of one gateway (default). */
export const DEFAULT_BATCH_CONCURRENCY = 4;

/** The longest one wait on a rate-limited line (its Retry-After is used when shorter). */
const MAX_RETRY_WAIT_MS = 60_000;

/** How long to wait before running a line again: a `rate_limited` refusal waits its Retry-After; anything else is final. */
function retryWaitMs(err: unknown): number | undefined {
  if (!(err instanceof TollgateError) || err.code !== 'rate_limited') return undefined;
  return Math.min(MAX_RETRY_WAIT_MS, Math.max(1, Number(err.details.retryAfterMs) || 1000));
}

/** A counting semaphore: at most `n` holders. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

interface Run {
  entry: BatchEntry;
  done: Promise<void>;
}

const EMPTY_USAGE = (): BatchObject['usage'] => ({ input_tokens: 0, input_tokens_details: { cached_tokens: 0 }, output_tokens: 0, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 0 });

/**
 * Runs client batches in the background: each valid line goes through `tollgate.complete()` as a
 * request of the batch's tenant (routed, rate-limited, budgeted, settled and logged like any request;
 * its request id `<batch id>-<line index>` is the decision record's `requestId` and the output line's
 * `response.request_id`), at most `concurrency` lines at once over all batches. Results are appended to
 * the store as they arrive; every status change goes through the lifecycle machine and is saved. On
 * start, batches not final are resumed: lines with a result are not run again. `stop()` (gateway close)
 * lets the lines in flight finish and leaves the rest for the next start.
 */
export class ClientBatchRunner {
  private readonly runs = new Map<string, Run>();
  /** When each running batch was last saved (its live counts reach other processes about once a second). */
  private readonly savedAt = new Map<string, number>();
  private readonly slots: Slots;
  private readonly concurrency: number;
  private stopping = false;

  constructor(
    private readonly tollgate: Tollgate,
    readonly store: ClientBatchStore,
    concurrency = DEFAULT_BATCH_CONCURRENCY,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.concurrency = Math.max(1, Math.floor(concurrency));
    this.slots = new Slots(this.concurrency);
  }

  /** Resumes every batch that is not final (validating, in progress, finalizing, cancelling). */
  resume(): void {
    for (const e of this.store.allBatches()) if (!FINAL_BATCH_STATUSES.includes(e.batch.status)) this.start(e);
  }

  /** Starts running a saved batch (no-op when it runs already). */
  start(entry: BatchEntry): void {
    if (this.runs.has(entry.batch.id) || this.stopping || !this.store.claimBatch(entry.batch.id)) return;
    const run: Run = { entry, done: Promise.resolve() };
    this.runs.set(entry.batch.id, run);
    run.done = this.drive(run)
      .catch((err: unknown) => process.emitWarning(`client batch ${entry.batch.id}: ${(err as Error).message}`))
      .finally(() => {
        this.runs.delete(entry.batch.id);
        this.savedAt.delete(entry.batch.id);
        this.store.releaseBatch(entry.batch.id);
      });
  }

  /** The tenant's batch, as it stands now (a running batch's live counts). */
  batch(tenant: string, id: string): BatchObject | undefined {
    const run = this.runs.get(id);
    if (run) return run.entry.tenant === tenant ? run.entry.batch : undefined;
    return this.store.batch(tenant, id)?.batch;
  }

  /** Cancels the tenant's batch (lines not started end in the error file as `batch_cancelled`); `undefined` when it is not theirs. */
  cancel(tenant: string, id: string): BatchObject | undefined {
    const run = this.runs.get(id);
    const entry = run ? (run.entry.tenant === tenant ? run.entry : undefined) : this.store.batch(tenant, id);
    if (!entry) return undefined;
    if (canClientBatch(entry.batch.status, { type: 'CANCEL' })) {
      this.move(entry, { type: 'CANCEL' }, 'cancelling_at');
      if (!run) this.start(entry);
    }
    return entry.batch;
  }

  /** Stops starting lines, waits for those in flight (their results are saved); unfinished batches resume on the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.runs.values()].map((r) => r.done));
  }

  private move(entry: BatchEntry, event: ClientBatchEvent, stamp?: keyof BatchObject): void {
    entry.batch.status = nextClientBatchStatus(entry.batch.status, event);
    if (stamp) (entry.batch as unknown as Record<string, number>)[stamp] = Math.floor(this.store.now() / 1000);
    this.store.saveBatch(entry);
  }

  private expired(b: BatchObject): boolean {
    return this.store.now() >= b.expires_at * 1000;
  }

  private async drive(run: Run): Promise<void> {
    await new Promise((r) => setImmediate(r)); // the create answer shows `validating`
    const e = run.entry;
    const b = e.batch;
    const input = this.store.fileContent(e.tenant, b.input_file_id);
    if (!input) {
      if (b.status !== 'validating') throw new Error(`input file ${b.input_file_id} is gone`);
      b.errors = { object: 'list', data: [{ code: 'input_file_not_found', message: `Input file ${b.input_file_id} was deleted`, param: 'input_file_id', line: null }] };
      this.move(e, { type: 'INVALID' }, 'failed_at');
      return;
    }
    const lines = batchLines(input, e.tenant, e.tags);
    const done = this.tally(e);
    if (b.status === 'validating') {
      b.request_counts.total = lines.length;
      for (const l of lines) if (!l.ok && !done.has(l.index)) this.writeError(e, l.index, errorLine(b.id, l.index, l.customId, { ...l.error, line: l.line }), done);
      this.move(e, { type: 'VALIDATED' }, 'in_progress_at');
    }
    const todo = lines.filter((l): l is Extract<BatchLine, { ok: true }> => l.ok && !done.has(l.index));
    if (b.status === 'in_progress') {
      await Promise.all(Array.from({ length: Math.min(todo.length, this.concurrency) }, () => this.worker(e, todo, done)));
      if (b.status === 'in_progress' && lines.every((l) => done.has(l.index))) this.move(e, { type: 'DRAINED' }, 'finalizing_at');
      else if (b.status === 'in_progress' && this.expired(b)) {
        this.notRun(e, lines.filter((l) => !done.has(l.index)), done, 'batch_expired', 'The batch expired before this line ran');
        this.publish(e);
        this.move(e, { type: 'EXPIRED' }, 'expired_at');
        return;
      }
    }
    if (b.status === 'cancelling') {
      const pending = lines.filter((l) => !done.has(l.index));
      this.notRun(e, pending, done, 'batch_cancelled', 'The batch was cancelled before this line ran');
      this.publish(e);
      this.move(e, { type: 'CANCELLED' }, 'cancelled_at');
      return;
    }
    if (b.status === 'finalizing') {
      this.publish(e);
      this.move(e, { type: 'FINALIZED' }, 'completed_at');
    }
    // else: stopping — the batch resumes on the next start
  }

  /** Takes lines while the batch runs, one engine request at a time, inside the shared slots. */
  private async worker(e: BatchEntry, todo: Extract<BatchLine, { ok: true }>[], done: Set<number>): Promise<void> {
    for (;;) {
      await this.slots.take();
      try {
        this.adoptCancel(e);
        if (this.stopping || e.batch.status !== 'in_progress' || this.expired(e.batch)) return;
        const line = todo.shift();
        if (!line) return;
        await this.runLine(e, line, done);
      } finally {
        this.slots.give();
      }
    }
  }

  /**
   * Runs one line. A `rate_limited` refusal (the tenant's requests or tokens per minute) is not the line's
   * end: it waits its Retry-After (at most a minute at a time) and runs again, while the batch runs; each
   * refused try has its `refused` record. Any other failure is the line's error line.
   */
  private async runLine(e: BatchEntry, line: Extract<BatchLine, { ok: true }>, done: Set<number>): Promise<void> {
    const b = e.batch;
    const id = lineRequestId(b.id, line.index);
    const request: TollgateRequest = { ...line.request, id, tenant: e.tenant, metadata: { ...line.request.metadata, 'tollgate.batch': b.id } };
    for (;;) {
      try {
        const r = await this.tollgate.complete(request);
        this.store.appendResult(b.id, 'output', okLine(b.id, line.index, line.customId, r));
        done.add(line.index);
        b.request_counts.completed++;
        const u = b.usage;
        u.input_tokens += r.usage.inputTokens;
        u.input_tokens_details.cached_tokens += r.usage.cachedInputTokens;
        u.output_tokens += r.usage.outputTokens;
        u.output_tokens_details.reasoning_tokens += r.usage.reasoningTokens ?? 0;
        u.total_tokens += r.usage.inputTokens + r.usage.outputTokens;
        break;
      } catch (err) {
        const wait = retryWaitMs(err);
        if (wait === undefined) {
          this.writeError(e, line.index, failedLine(b.id, line.index, line.customId, id, httpFailure(err)), done);
          break;
        }
        if (!(await this.pause(e, wait))) return; // stopped, cancelled or expired while waiting: the line has no result yet
      }
    }
    const now = this.store.now();
    if (now - (this.savedAt.get(b.id) ?? 0) >= 1000) {
      this.savedAt.set(b.id, now);
      this.adoptCancel(e);
      this.store.saveBatch(e);
    }
  }

  /** Waits `ms` in steps of at most 100 ms; false as soon as the batch should stop taking lines. */
  private async pause(e: BatchEntry, ms: number): Promise<boolean> {
    for (let left = ms; left > 0; left -= 100) {
      await this.sleep(Math.min(100, left));
      this.adoptCancel(e);
      if (this.stopping || e.batch.status !== 'in_progress' || this.expired(e.batch)) return false;
    }
    return true;
  }

  /** A cancel another process (a `--workers` sibling) saved for the batch this one runs. */
  private adoptCancel(e: BatchEntry): void {
    if (e.batch.status !== 'in_progress') return;
    const saved = this.store.batchEntry(e.batch.id)?.batch;
    if (saved?.status === 'cancelling') {
      e.batch.status = 'cancelling';
      e.batch.cancelling_at = saved.cancelling_at;
    }
  }

  private writeError(e: BatchEntry, index: number, text: string, done: Set<number>): void {
    this.store.appendResult(e.batch.id, 'errors', text);
    done.add(index);
    e.batch.request_counts.failed++;
  }

  private notRun(e: BatchEntry, lines: BatchLine[], done: Set<number>, code: string, message: string): void {
    for (const l of lines) if (!done.has(l.index)) this.writeError(e, l.index, errorLine(e.batch.id, l.index, l.customId, { code, message }), done);
  }

  /** A part's result lines: from its published file once there is one, else as appended so far. */
  private resultLines(e: BatchEntry, part: 'output' | 'errors'): string[] {
    const published = part === 'output' ? e.batch.output_file_id : e.batch.error_file_id;
    if (!published) return this.store.results(e.batch.id, part);
    return (this.store.fileContent(e.tenant, published)?.toString('utf8') ?? '').split('\n').filter((l) => l !== '');
  }

  /** The lines with a result so far; counts and token usage recomputed from them (so a resumed batch's are right). */
  private tally(e: BatchEntry): Set<number> {
    const b = e.batch;
    const done = new Set<number>();
    const ok = this.resultLines(e, 'output');
    const failed = this.resultLines(e, 'errors');
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
  private publish(e: BatchEntry): void {
    for (const part of ['output', 'errors'] as const) {
      const key = part === 'output' ? 'output_file_id' : 'error_file_id';
      if (e.batch[key]) continue;
      const f = this.store.publishResults(e, part);
      if (!f) continue;
      e.batch[key] = f.id;
      this.store.saveBatch(e);
      this.store.dropResults(e.batch.id, part);
    }
  }
}
