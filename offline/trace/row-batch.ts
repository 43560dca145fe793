import type { TraceRequest, TraceTask } from './schema.js';
import { TRACE_TASKS } from './schema.js';

/**
 * A batch of consecutive JSONL trace lines in a compact columnar form, built by the trace worker
 * (offline/trace/jsonl-worker.ts) and read back row by row on the main thread. Its columns are views
 * of shared buffers (a ring the builder reuses), not copies; repeated strings (tenants, tag lists) are interned in a dictionary that
 * both sides grow in step (a batch carries only its new entries), so a row crosses threads as a few
 * numbers and its id.
 *
 * Only lines the fast parser accepted in full (the canonical token-count shape, no `messages`, no
 * `labels`) are columnar; every other line — blank, invalid, or anything the schema must judge —
 * travels as its text and is parsed on the main thread by `parseTraceLine`, so validation and its
 * line-numbered errors are exactly the single-threaded reader's.
 */
export interface RowBatch {
  /** 1-based line number of the batch's first line. */
  first: number;
  /** Per line: one of the `LINE_*` kinds. */
  kinds: Uint8Array;
  /** Per line, {@link NUMS} slots: timestamp, promptTokens, outputTokens, maxOutputTokens (NaN = absent). */
  nums: Float64Array;
  /** Per line, {@link REFS} slots: tenant index, tag-list index, task (index in {@link TRACE_TASKS} + 1; 0 = none). */
  refs: Uint32Array;
  /** The ids of `LINE_ROW_ID` lines, concatenated; `idEnds[i]` is where line i's id ends. */
  ids: string;
  idEnds: Uint32Array;
  /** The text of every `LINE_TEXT` line, in order. */
  texts: string[];
  /** Dictionary entries first used in this batch (appended in order); `reset` empties both dictionaries first. */
  reset: boolean;
  newTenants: string[];
  newTags: string[][];
}

export const LINE_BLANK = 0;
export const LINE_ROW = 1;
export const LINE_ROW_ID = 2;
export const LINE_TEXT = 3;
export const NUMS = 4;
export const REFS = 3;

/** Dictionary size at which both sides start over, between batches (so a trace of unique tenants stays in bounded memory). */
const DICTIONARY_MAX = 16_384;
const TASK_CODE: ReadonlyMap<string, number> = new Map(TRACE_TASKS.map((t, i) => [t, i + 1]));

/** A request as the fast parser returns it (before the reader defaults its id). */
export type FastRow = Omit<TraceRequest, 'id'> & { id?: string };

/** Column buffers of one batch slot (shared with the main thread: posting a batch copies none of them). */
interface Slot {
  kinds: Uint8Array;
  nums: Float64Array;
  refs: Uint32Array;
  idEnds: Uint32Array;
}

function sharedSlot(capacity: number): Slot {
  return {
    kinds: new Uint8Array(new SharedArrayBuffer(capacity)),
    nums: new Float64Array(new SharedArrayBuffer(capacity * NUMS * 8)),
    refs: new Uint32Array(new SharedArrayBuffer(capacity * REFS * 4)),
    idEnds: new Uint32Array(new SharedArrayBuffer(capacity * 4)),
  };
}

/**
 * Worker side: appends lines to a batch and hands out the finished batch. The columns live in a ring
 * of `slots` shared buffers, reused in turn: a batch's columns are overwritten `slots` batches later,
 * so the reader must be done with a batch by then (the worker's flow control guarantees it). A fixed
 * ring instead of fresh buffers per batch keeps memory flat: freed batch buffers were external memory
 * that V8 reclaimed late, and peak RSS grew with the length of the trace.
 */
export class RowBatchBuilder {
  private readonly tenants = new Map<string, number>();
  private readonly tagLists = new Map<string, number>();
  private readonly oddTagLists = new Map<string, number>();
  private reset = false;
  private newTenants: string[] = [];
  private newTags: string[][] = [];
  private readonly ring: Slot[];
  private slot = 0;
  private kinds: Uint8Array;
  private nums: Float64Array;
  private refs: Uint32Array;
  private idEnds: Uint32Array;
  private ids: string[] = [];
  private idLength = 0;
  private texts: string[] = [];
  private n = 0;

  constructor(private readonly capacity: number, slots: number) {
    this.ring = Array.from({ length: slots }, () => sharedSlot(capacity));
    ({ kinds: this.kinds, nums: this.nums, refs: this.refs, idEnds: this.idEnds } = this.ring[0]!);
  }

  get size(): number {
    return this.n;
  }

  get full(): boolean {
    return this.n === this.capacity;
  }

  blank(): void {
    this.kinds[this.n] = LINE_BLANK;
    this.idEnds[this.n++] = this.idLength;
  }

  text(line: string): void {
    this.kinds[this.n] = LINE_TEXT;
    this.texts.push(line);
    this.idEnds[this.n++] = this.idLength;
  }

  /** A row the fast parser accepted, without `messages` or `labels`. */
  row(r: FastRow): void {
    const i = this.n;
    const o = i * NUMS;
    this.nums[o] = r.timestamp;
    this.nums[o + 1] = r.promptTokens ?? Number.NaN;
    this.nums[o + 2] = r.outputTokens ?? Number.NaN;
    this.nums[o + 3] = r.maxOutputTokens ?? Number.NaN;
    const p = i * REFS;
    this.refs[p] = this.intern(r.tenant);
    this.refs[p + 1] = this.internTags(r.tags);
    this.refs[p + 2] = r.task === undefined ? 0 : TASK_CODE.get(r.task)!;
    if (r.id !== undefined) {
      this.kinds[i] = LINE_ROW_ID;
      this.ids.push(r.id);
      this.idLength += r.id.length;
    } else this.kinds[i] = LINE_ROW;
    this.idEnds[i] = this.idLength;
    this.n++;
  }

  /** The batch so far (starting at line `first`); the builder starts the next one in the next slot. */
  take(first: number): RowBatch {
    const n = this.n;
    const batch: RowBatch = {
      first,
      kinds: this.kinds.subarray(0, n),
      nums: this.nums.subarray(0, n * NUMS),
      refs: this.refs.subarray(0, n * REFS),
      ids: this.ids.join(''),
      idEnds: this.idEnds.subarray(0, n),
      texts: this.texts,
      reset: this.reset,
      newTenants: this.newTenants,
      newTags: this.newTags,
    };
    this.slot = (this.slot + 1) % this.ring.length;
    ({ kinds: this.kinds, nums: this.nums, refs: this.refs, idEnds: this.idEnds } = this.ring[this.slot]!);
    this.ids = [];
    this.idLength = 0;
    this.texts = [];
    this.reset = false;
    this.newTenants = [];
    this.newTags = [];
    this.n = 0;
    // Only between batches: a batch's rows all index the dictionary it was built with.
    if (this.tenants.size + this.tagLists.size + this.oddTagLists.size >= DICTIONARY_MAX) this.startOver();
    return batch;
  }

  private startOver(): void {
    this.tenants.clear();
    this.tagLists.clear();
    this.oddTagLists.clear();
    this.reset = true;
    this.newTenants = [];
    this.newTags = [];
  }

  private intern(tenant: string): number {
    let k = this.tenants.get(tenant);
    if (k === undefined) {
      this.tenants.set(tenant, (k = this.tenants.size));
      this.newTenants.push(tenant);
    }
    return k;
  }

  private internTags(tags: string[]): number {
    // Key: the tags joined by NUL, unambiguous when no tag holds a NUL; lists with one are keyed by
    // their JSON in a map of their own (JSON.stringify per row was a quarter of the worker's time).
    let plain = true;
    for (const t of tags) if (t.includes('\u0000')) plain = false;
    const lists = plain ? this.tagLists : this.oddTagLists;
    const key = plain ? tags.join('\u0000') : JSON.stringify(tags);
    let k = lists.get(key);
    if (k === undefined) {
      lists.set(key, (k = this.tagLists.size + this.oddTagLists.size));
      this.newTags.push(tags);
    }
    return k;
  }
}

/** Main-thread side: the dictionaries, grown batch by batch in the order the builder grew its own. */
export class RowBatchReader {
  private tenants: string[] = [];
  private tags: string[][] = [];

  /** Takes in a batch's dictionary entries; call once per batch, in order, before reading its rows. */
  accept(batch: RowBatch): void {
    if (batch.reset) {
      this.tenants = [];
      this.tags = [];
    }
    for (const t of batch.newTenants) this.tenants.push(t);
    for (const t of batch.newTags) this.tags.push(t);
  }

  /**
   * The request of columnar line `i` (a `LINE_ROW` or `LINE_ROW_ID`), with the same keys in the same
   * order as `parseTraceLine` gives it (a missing id becomes `trace:<line>`) and a fresh tags array.
   */
  row(batch: RowBatch, i: number): TraceRequest {
    const o = i * NUMS;
    const p = i * REFS;
    const nums = batch.nums;
    const out = { timestamp: nums[o]!, tenant: this.tenants[batch.refs[p]!]!, tags: this.tags[batch.refs[p + 1]!]!.slice() } as TraceRequest;
    const withId = batch.kinds[i] === LINE_ROW_ID;
    if (withId) out.id = batch.ids.slice(i === 0 ? 0 : batch.idEnds[i - 1]!, batch.idEnds[i]!);
    const prompt = nums[o + 1]!;
    if (prompt === prompt) out.promptTokens = prompt;
    const output = nums[o + 2]!;
    if (output === output) out.outputTokens = output;
    const cap = nums[o + 3]!;
    if (cap === cap) out.maxOutputTokens = cap;
    const task = batch.refs[p + 2]!;
    if (task !== 0) out.task = TRACE_TASKS[task - 1] as TraceTask;
    if (!withId) out.id = `trace:${batch.first + i}`;
    return out;
  }
}
