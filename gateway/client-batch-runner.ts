import { TollgateError, type CompletionResult, type DeferredHandle, type Tollgate, type TollgateRequest } from '../index.js';
import { httpFailure } from './http-errors.js';
import { FINAL_BATCH_STATUSES, canClientBatch, nextClientBatchStatus, type ClientBatchEvent } from './client-batch-machine.js';
import { batchLines, errorLine, failedLine, isPlainChat, lineRequestId, okLine, type BatchLine } from './client-batch-lines.js';
import { publishResults, tallyResults } from './client-batch-results.js';
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
  /** Deferred lines' results still to come (they hold no slot while their vendor batch runs). */
  waits: Promise<void>[];
}

type OkLine = Extract<BatchLine, { ok: true }>;

/** {@link ClientBatchRunner}'s settings. */
export interface ClientBatchRunnerOptions {
  /** Lines submitted at once over all batches (default {@link DEFAULT_BATCH_CONCURRENCY}). */
  concurrency?: number;
  /** How a rate-limited line waits (default a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** Send plain-chat lines as `deferrable` (within what is left of the completion window): vendor batch APIs at batch price. Needs `createTollgate({ deferred })`. */
  defer?: boolean;
}

const isHandle = (x: CompletionResult | DeferredHandle): x is DeferredHandle => typeof (x as Partial<DeferredHandle>).result === 'function';

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
  private readonly sleep: (ms: number) => Promise<void>;
  private stopping = false;
  private readonly stopped: Promise<void>;
  private markStopped!: () => void;

  constructor(private readonly tollgate: Tollgate, readonly store: ClientBatchStore, private readonly o: ClientBatchRunnerOptions = {}) {
    this.concurrency = Math.max(1, Math.floor(o.concurrency ?? DEFAULT_BATCH_CONCURRENCY));
    this.slots = new Slots(this.concurrency);
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.stopped = new Promise((r) => (this.markStopped = r));
  }

  /** Resumes every batch that is not final (validating, in progress, finalizing, cancelling). */
  resume(): void {
    for (const e of this.store.allBatches()) if (!FINAL_BATCH_STATUSES.includes(e.batch.status)) this.start(e);
  }

  /** Starts running a saved batch (no-op when it runs already). */
  start(entry: BatchEntry): void {
    if (this.runs.has(entry.batch.id) || this.stopping || !this.store.claimBatch(entry.batch.id)) return;
    const run: Run = { entry, done: Promise.resolve(), waits: [] };
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
    this.markStopped();
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
    const done = tallyResults(this.store, e);
    if (b.status === 'validating') {
      b.request_counts.total = lines.length;
      for (const l of lines) if (!l.ok && !done.has(l.index)) this.writeError(e, l.index, errorLine(b.id, l.index, l.customId, { ...l.error, line: l.line }), done);
      this.move(e, { type: 'VALIDATED' }, 'in_progress_at');
    }
    const todo = lines.filter((l): l is Extract<BatchLine, { ok: true }> => l.ok && !done.has(l.index));
    if (b.status === 'in_progress') {
      await Promise.all(Array.from({ length: Math.min(todo.length, this.concurrency) }, () => this.worker(run, todo, done)));
      // Deferred lines settle when their vendor batch does; a stop leaves them to the next start (tollgate.deferred(id)).
      if (run.waits.length) await Promise.race([Promise.allSettled(run.waits), this.stopped]);
      if (this.stopping) return;
      if (b.status === 'in_progress' && lines.every((l) => done.has(l.index))) this.move(e, { type: 'DRAINED' }, 'finalizing_at');
      else if (b.status === 'in_progress' && this.expired(b)) {
        this.notRun(e, lines.filter((l) => !done.has(l.index)), done, 'batch_expired', 'The batch expired before this line ran');
        publishResults(this.store, e);
        this.move(e, { type: 'EXPIRED' }, 'expired_at');
        return;
      }
    }
    if (b.status === 'cancelling') {
      const pending = lines.filter((l) => !done.has(l.index));
      this.notRun(e, pending, done, 'batch_cancelled', 'The batch was cancelled before this line ran');
      publishResults(this.store, e);
      this.move(e, { type: 'CANCELLED' }, 'cancelled_at');
      return;
    }
    if (b.status === 'finalizing') {
      publishResults(this.store, e);
      this.move(e, { type: 'FINALIZED' }, 'completed_at');
    }
    // else: stopping — the batch resumes on the next start
  }

  /** Takes lines while the batch runs, one engine request at a time, inside the shared slots. */
  private async worker(run: Run, todo: OkLine[], done: Set<number>): Promise<void> {
    const e = run.entry;
    for (;;) {
      await this.slots.take();
      try {
        this.adoptCancel(e);
        if (this.stopping || e.batch.status !== 'in_progress' || this.expired(e.batch)) return;
        const line = todo.shift();
        if (!line) return;
        await this.runLine(run, line, done);
      } finally {
        this.slots.give();
      }
    }
  }

  /**
   * Runs one line: `tollgate.submit()` answers it now, or — a plain-chat line with `defer`, or one a policy
   * `defer` rule matches — queues it for a vendor batch API and hands back a handle whose result is awaited
   * outside the slots. A line queued by an earlier start is picked up by its id (`tollgate.deferred`), never
   * queued again. A `rate_limited` refusal (the tenant's requests or tokens per minute) is not the line's
   * end: it waits its Retry-After (at most a minute at a time) and runs again while the batch runs; each
   * refused try has its `refused` record. Any other failure is the line's error line.
   */
  private async runLine(run: Run, line: OkLine, done: Set<number>): Promise<void> {
    const e = run.entry;
    const b = e.batch;
    const id = lineRequestId(b.id, line.index);
    const request: TollgateRequest = { ...line.request, id, tenant: e.tenant, metadata: { ...line.request.metadata, 'tollgate.batch': b.id } };
    if (this.o.defer && isPlainChat(line.request)) request.deferrable = { within: `${Math.min(999_999, Math.max(1, Math.floor((b.expires_at * 1000 - this.store.now()) / 60_000)))}m` };
    for (;;) {
      try {
        const out = this.tollgate.deferred(id) ?? (await this.tollgate.submit(request));
        if (!isHandle(out)) this.answered(e, line, out, done);
        else {
          const settle = (write: () => void) => {
            if (!this.stopping) write(); // after a stop the next start picks the result up by id
          };
          run.waits.push(out.result().then(
            (r) => settle(() => this.answered(e, line, r, done)),
            (err: unknown) => settle(() => this.writeError(e, line.index, failedLine(b.id, line.index, line.customId, id, httpFailure(err)), done)),
          ));
        }
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
    this.saveNowAndThen(e);
  }

  private answered(e: BatchEntry, line: OkLine, r: CompletionResult, done: Set<number>): void {
    const b = e.batch;
    this.store.appendResult(b.id, 'output', okLine(b.id, line.index, line.customId, r));
    done.add(line.index);
    b.request_counts.completed++;
    const u = b.usage;
    u.input_tokens += r.usage.inputTokens;
    u.input_tokens_details.cached_tokens += r.usage.cachedInputTokens;
    u.output_tokens += r.usage.outputTokens;
    u.output_tokens_details.reasoning_tokens += r.usage.reasoningTokens ?? 0;
    u.total_tokens += r.usage.inputTokens + r.usage.outputTokens;
  }

  /** Saves a running batch about once a second (live counts for other processes; a sibling's cancel adopted first). */
  private saveNowAndThen(e: BatchEntry): void {
    const now = this.store.now();
    if (now - (this.savedAt.get(e.batch.id) ?? 0) < 1000) return;
    this.savedAt.set(e.batch.id, now);
    this.adoptCancel(e);
    this.store.saveBatch(e);
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
}
