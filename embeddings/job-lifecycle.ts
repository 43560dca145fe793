/**
 * The lifecycle of an embedding job, an xstate v5 machine shared by the single-process job
 * (`batch-job.ts`) and the distributed run (`distributed.ts`). Same house pattern as the engine's
 * circuit breaker and tenant guard: no timers (time is the `now` each event carries, from an injected
 * clock), one event per chunk (never per row), and a plain-data snapshot for operators.
 *
 * ```
 * queued ──START──► running ──CHUNK_DONE (counts)──► running ──COMPLETE / last chunk──► completed
 *   │                 │  ▲                                                  
 *   │                 │  └─CHUNK_DONE of every retrying chunk──┐
 *   │                 └──CHUNK_FAILED, willRetry──► retrying ──┘ (RETRY counts the next attempt)
 *   │                 └──CHUNK_FAILED, no retry left / FAIL──► failed
 *   └─────────────────────CANCEL (from any non-final state)──► cancelled
 * ```
 * A chunk report in `queued` starts the job (a distributed run starts when a worker reports its first
 * chunk). When the chunk total is known (`PLAN`, or `START { totalChunks }`), the job completes by itself
 * once that many chunks are done. Events a state does not handle are ignored; {@link EmbedJobLifecycle.send}
 * says whether the event was taken. Final states take no events.
 */
import { type Actor, type Snapshot, assign, createActor, setup } from 'xstate';

export type EmbedJobState = 'queued' | 'running' | 'retrying' | 'completed' | 'failed' | 'cancelled';

export const EMBED_JOB_FINAL_STATES: readonly EmbedJobState[] = ['completed', 'failed', 'cancelled'];

/** What one chunk (a batch of input lines, or a queued chunk job) did. */
export interface ChunkCounts {
  /** Input texts in the chunk. */
  texts: number;
  /** Texts sent to the embedder. */
  embedded: number;
  /** Texts that skipped the embedder (exact repeat, already stored, or shared an embedding). */
  deduped: number;
  /** Rows newly committed to the store by this chunk. */
  stored: number;
}

export interface EmbedJobError {
  message: string;
  /** The TollgateError code when there is one. */
  code?: string;
  /** The chunk whose failure it was. */
  chunk?: number;
}

/** A previous run of the same job that this one continues (read from the persisted state). */
export interface EmbedJobResumedFrom {
  state: EmbedJobState;
  chunksDone: number;
  stored: number;
  updatedAt?: number;
}

/** A job as an operator sees it: `handle.status()`, `EmbedJobStats.job`, `tollgate embed`'s summary. */
export interface EmbedJobSnapshot extends ChunkCounts {
  state: EmbedJobState;
  chunks: {
    done: number;
    /** Known once the input is fully read (single process: at the end; distributed: once enqueued). */
    total?: number;
    /** Failed chunk attempts (a retried chunk counts once per failed attempt). */
    failedAttempts: number;
    /** Chunk attempts started after a failure. */
    retries: number;
    /** Chunks that failed and wait for (or are in) their next attempt. */
    retrying: number[];
  };
  /** Input bytes read (single process), for progress. */
  bytesRead?: number;
  totalBytes?: number;
  error?: EmbedJobError;
  /** Epoch ms on the job's clock. */
  startedAt?: number;
  updatedAt?: number;
  finishedAt?: number;
  resumedFrom?: EmbedJobResumedFrom;
}

/** The machine's context: the snapshot without its state, the chunk figures kept flat. */
interface JobContext extends Omit<EmbedJobSnapshot, 'state' | 'chunks'> {
  chunksDone: number;
  totalChunks?: number;
  failedAttempts: number;
  retries: number;
  retrying: number[];
}

export type EmbedJobEvent =
  | { type: 'START'; now: number; totalChunks?: number; totalBytes?: number }
  /** The chunk total became known (the enqueuer finished); the job completes once that many are done. */
  | { type: 'PLAN'; now: number; totalChunks: number }
  | ({ type: 'CHUNK_DONE'; now: number; chunk: number; bytesRead?: number } & ChunkCounts)
  /** One attempt of `chunk` failed; `willRetry`: another attempt follows (else the job fails). */
  | { type: 'CHUNK_FAILED'; now: number; chunk: number; willRetry: boolean; error: EmbedJobError }
  /** The next attempt of a failed chunk starts. */
  | { type: 'RETRY'; now: number; chunk: number }
  /** The input ended and every chunk is done. `stored`: rows the job's final commit added. */
  | { type: 'COMPLETE'; now: number; stored?: number }
  | { type: 'FAIL'; now: number; error: EmbedJobError; stored?: number }
  | { type: 'CANCEL'; now: number; reason?: string; stored?: number };

const at = (event: EmbedJobEvent) => event.now;
const finalStored = (context: JobContext, event: EmbedJobEvent) =>
  (event.type === 'COMPLETE' || event.type === 'FAIL' || event.type === 'CANCEL') && event.stored ? { stored: context.stored + event.stored } : {};

export const embedJobMachine = setup({
  types: { context: {} as JobContext, events: {} as EmbedJobEvent, input: {} as { resumedFrom?: EmbedJobResumedFrom } },
  guards: {
    allDone: ({ context }) => context.totalChunks !== undefined && context.chunksDone >= context.totalChunks && context.retrying.length === 0,
    willRetry: ({ event }) => event.type === 'CHUNK_FAILED' && event.willRetry,
    noneRetrying: ({ context, event }) => event.type === 'CHUNK_DONE' && context.retrying.every((c) => c === event.chunk),
  },
  actions: {
    start: assign(({ context, event }) => ({
      startedAt: context.startedAt ?? at(event),
      updatedAt: at(event),
      ...(event.type === 'START' && event.totalChunks !== undefined ? { totalChunks: event.totalChunks } : {}),
      ...(event.type === 'START' && event.totalBytes !== undefined ? { totalBytes: event.totalBytes } : {}),
    })),
    plan: assign(({ event }) => (event.type === 'PLAN' ? { totalChunks: event.totalChunks, updatedAt: event.now } : {})),
    chunkDone: assign(({ context, event }) => {
      if (event.type !== 'CHUNK_DONE') return {};
      return {
        chunksDone: context.chunksDone + 1,
        texts: context.texts + event.texts,
        embedded: context.embedded + event.embedded,
        deduped: context.deduped + event.deduped,
        stored: context.stored + event.stored,
        retrying: context.retrying.filter((c) => c !== event.chunk),
        ...(event.bytesRead !== undefined ? { bytesRead: event.bytesRead } : {}),
        updatedAt: event.now,
      };
    }),
    chunkFailed: assign(({ context, event }) => {
      if (event.type !== 'CHUNK_FAILED') return {};
      return {
        failedAttempts: context.failedAttempts + 1,
        retrying: event.willRetry && !context.retrying.includes(event.chunk) ? [...context.retrying, event.chunk] : context.retrying,
        error: { ...event.error, chunk: event.chunk },
        updatedAt: event.now,
      };
    }),
    retry: assign(({ context, event }) => ({ retries: context.retries + 1, updatedAt: at(event) })),
    complete: assign(({ context, event }) => ({ ...finalStored(context, event), totalChunks: context.totalChunks ?? context.chunksDone, retrying: [], error: undefined, updatedAt: at(event), finishedAt: at(event) })),
    /** Completion by count: the last retrying chunk succeeded, so the earlier error is history. */
    finish: assign(({ event }) => ({ error: undefined, updatedAt: at(event), finishedAt: at(event) })),
    fail: assign(({ context, event }) => ({ ...finalStored(context, event), ...(event.type === 'FAIL' ? { error: event.error } : {}), updatedAt: at(event), finishedAt: at(event) })),
    cancel: assign(({ context, event }) => ({ ...finalStored(context, event), ...(event.type === 'CANCEL' && event.reason ? { error: { message: event.reason, code: 'job_cancelled' } } : {}), updatedAt: at(event), finishedAt: at(event) })),
  },
}).createMachine({
  id: 'embedJob',
  initial: 'queued',
  context: ({ input }) => ({
    texts: 0,
    embedded: 0,
    deduped: 0,
    stored: 0,
    chunksDone: 0,
    failedAttempts: 0,
    retries: 0,
    retrying: [],
    ...(input.resumedFrom ? { resumedFrom: input.resumedFrom } : {}),
  }),
  states: {
    queued: {
      always: { guard: 'allDone', target: 'completed', actions: 'finish' },
      on: {
        START: { target: 'running', actions: 'start' },
        PLAN: { actions: 'plan' },
        CHUNK_DONE: { target: 'running', actions: ['start', 'chunkDone'] },
        CHUNK_FAILED: [
          { guard: 'willRetry', target: 'retrying', actions: ['start', 'chunkFailed'] },
          { target: 'failed', actions: ['start', 'chunkFailed', 'fail'] },
        ],
        FAIL: { target: 'failed', actions: 'fail' },
        CANCEL: { target: 'cancelled', actions: 'cancel' },
      },
    },
    running: {
      always: { guard: 'allDone', target: 'completed', actions: 'finish' },
      on: {
        PLAN: { actions: 'plan' },
        CHUNK_DONE: { actions: 'chunkDone' },
        CHUNK_FAILED: [{ guard: 'willRetry', target: 'retrying', actions: 'chunkFailed' }, { target: 'failed', actions: ['chunkFailed', 'fail'] }],
        COMPLETE: { target: 'completed', actions: 'complete' },
        FAIL: { target: 'failed', actions: 'fail' },
        CANCEL: { target: 'cancelled', actions: 'cancel' },
      },
    },
    retrying: {
      always: { guard: 'allDone', target: 'completed', actions: 'finish' },
      on: {
        PLAN: { actions: 'plan' },
        RETRY: { actions: 'retry' },
        CHUNK_DONE: [{ guard: 'noneRetrying', target: 'running', actions: 'chunkDone' }, { actions: 'chunkDone' }],
        CHUNK_FAILED: [{ guard: 'willRetry', actions: 'chunkFailed' }, { target: 'failed', actions: ['chunkFailed', 'fail'] }],
        COMPLETE: { target: 'completed', actions: 'complete' },
        FAIL: { target: 'failed', actions: 'fail' },
        CANCEL: { target: 'cancelled', actions: 'cancel' },
      },
    },
    completed: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
  },
});

/** What {@link EmbedJobLifecycle.persisted} writes: plain JSON, restorable in another process. */
export interface PersistedEmbedJob {
  version: 1;
  /** xstate's persisted snapshot of {@link embedJobMachine}. */
  machine: Snapshot<unknown>;
  /** The runner's own identification (input file, run id), checked before resuming. */
  meta?: Record<string, string>;
}

/** One job's lifecycle actor, with the snapshot an operator reads. */
export class EmbedJobLifecycle {
  private readonly actor: Actor<typeof embedJobMachine>;

  constructor(options: { resumedFrom?: EmbedJobResumedFrom; restore?: PersistedEmbedJob } = {}) {
    this.actor = options.restore
      ? createActor(embedJobMachine, { snapshot: options.restore.machine as never, input: {} }).start()
      : createActor(embedJobMachine, { input: options.resumedFrom ? { resumedFrom: options.resumedFrom } : {} }).start();
  }

  /** Rebuilds a job's lifecycle from what {@link persisted} wrote (possibly in another process). */
  static restore(persisted: PersistedEmbedJob): EmbedJobLifecycle {
    if (persisted.version !== 1) throw new TypeError(`unknown embed job state version ${String(persisted.version)}`);
    return new EmbedJobLifecycle({ restore: persisted });
  }

  /** Folds a list of events (a distributed run's log) into a lifecycle; events a state does not take are skipped. */
  static replay(events: Iterable<EmbedJobEvent>): EmbedJobLifecycle {
    const job = new EmbedJobLifecycle();
    for (const e of events) job.send(e);
    return job;
  }

  /** Sends `event`; returns false (and changes nothing) when the current state does not take it. */
  send(event: EmbedJobEvent): boolean {
    const before = this.actor.getSnapshot();
    if (before.status !== 'active') return false;
    this.actor.send(event);
    return this.actor.getSnapshot() !== before; // xstate keeps the snapshot object when no transition is taken
  }

  get state(): EmbedJobState {
    return this.actor.getSnapshot().value as EmbedJobState;
  }

  get isFinal(): boolean {
    return this.actor.getSnapshot().status === 'done';
  }

  snapshot(): EmbedJobSnapshot {
    const c = this.actor.getSnapshot().context;
    return {
      state: this.state,
      texts: c.texts,
      embedded: c.embedded,
      deduped: c.deduped,
      stored: c.stored,
      chunks: { done: c.chunksDone, ...(c.totalChunks !== undefined ? { total: c.totalChunks } : {}), failedAttempts: c.failedAttempts, retries: c.retries, retrying: [...c.retrying] },
      ...(c.bytesRead !== undefined ? { bytesRead: c.bytesRead } : {}),
      ...(c.totalBytes !== undefined ? { totalBytes: c.totalBytes } : {}),
      ...(c.error ? { error: { ...c.error } } : {}),
      ...(c.startedAt !== undefined ? { startedAt: c.startedAt } : {}),
      ...(c.updatedAt !== undefined ? { updatedAt: c.updatedAt } : {}),
      ...(c.finishedAt !== undefined ? { finishedAt: c.finishedAt } : {}),
      ...(c.resumedFrom ? { resumedFrom: { ...c.resumedFrom } } : {}),
    };
  }

  persisted(meta?: Record<string, string>): PersistedEmbedJob {
    return { version: 1, machine: this.actor.getPersistedSnapshot(), ...(meta ? { meta } : {}) };
  }
}

/** An error as the lifecycle records it. */
export function jobError(error: unknown, chunk?: number): EmbedJobError {
  const e = error as { message?: unknown; code?: unknown };
  return {
    message: typeof e?.message === 'string' ? e.message : String(error),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(chunk !== undefined ? { chunk } : {}),
  };
}
