import { mkdirSync, writeSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TollgateError } from '../../engine/errors.js';
import type { DecisionRecord } from '../../engine/decision-record.js';
import type { DecisionSink } from '../../engine/seams/decision-sink.js';

/**
 * When an `append` resolves (docs/gateway.md, "Durability"):
 * - `fsync`: after the batch holding the record is written and fdatasync'd: survives a power loss (on a disk
 *   that honours flushes).
 * - `write`: after the batch is written to the OS (write(2) returned): survives a SIGKILL or a crash of the
 *   process; the file is fdatasync'd at most {@link WRITE_SYNC_INTERVAL_MS} after a write, so a power loss or
 *   kernel crash loses at most the records acknowledged in that window (plus the fdatasync's own duration).
 * - `none`: at once, before the record is written (it is written on the next turn of the event loop): for
 *   benchmarks only — a crash loses what was queued, and a write error shows only on a later `append`/`close`.
 */
export type Durability = 'fsync' | 'write' | 'none';
export const DURABILITY_MODES: readonly Durability[] = ['fsync', 'write', 'none'];
/** The default of `tollgate serve` and of `createTollgate({ decisionLog: path })` (why: docs/gateway.md). */
export const DEFAULT_DURABILITY: Durability = 'write';
/** In `write` mode, the longest a written record waits for its fdatasync, ms. */
export const WRITE_SYNC_INTERVAL_MS = 100;
/** Largest single write(2): several processes may append to one file (serve --workers), and a write of whole lines never interleaves with theirs. */
const MAX_WRITE_BYTES = 512 * 1024;

export interface JsonlDecisionSinkOptions {
  /** Default {@link DEFAULT_DURABILITY}. */
  durability?: Durability;
  /** Older spelling: `false` is `durability: 'write'`, `true` is `'fsync'`. `durability` wins. */
  durable?: boolean;
  /** Skip the torn-tail repair on open (a parent process that repaired the file before starting writers). */
  skipRepair?: boolean;
}

/**
 * Appends decision records to a JSONL file. Group commit: records that arrive while a write is in
 * flight are written together (one `write`, and in `fsync` mode one `fdatasync`), and each `append` resolves
 * as {@link Durability} says. In `write` mode, once the file is open and nothing is queued, an append is
 * one synchronous write(2) of its line before `append` returns (nothing is in flight to share). A crash mid-write can leave at most a torn last line, which readers skip.
 * On open, a torn last line left by a crash (bytes after the last newline — never acknowledged, since
 * an append resolves only after its whole batch is written) is cut off, so appends after a restart never
 * follow a partial line and readers see a clean file. The file is opened with O_APPEND and every write
 * holds whole lines (≤ 512 KiB), so several processes may append to the same file on a local file system.
 */
export class JsonlDecisionSink implements DecisionSink {
  readonly specificationVersion = 'v1' as const;
  readonly durability: Durability;
  private handle: Promise<FileHandle>;
  private fd = -1;
  private queue: { line: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  private dirty = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private failure: TollgateError | undefined;

  constructor(readonly path: string, options: JsonlDecisionSinkOptions = {}) {
    this.durability = options.durability ?? (options.durable === false ? 'write' : options.durable === true ? 'fsync' : DEFAULT_DURABILITY);
    mkdirSync(dirname(path), { recursive: true });
    this.handle = (options.skipRepair ? Promise.resolve(0) : repairTornTail(path)).then(() => open(path, 'a'));
    this.handle.then((fh) => (this.fd = fh.fd), () => undefined);
  }

  append(record: DecisionRecord): Promise<void> {
    if (this.closed) return Promise.reject(new TollgateError('sink_closed', `Decision log ${this.path} is closed`));
    if (this.failure) return Promise.reject(this.failure);
    const line = `${JSON.stringify(record)}\n`;
    if (this.durability === 'none') {
      this.queue.push({ line, resolve: noop, reject: noop });
      this.flushing ??= this.flushLoop();
      return RESOLVED;
    }
    if (this.durability === 'write' && this.fd >= 0 && !this.flushing) return this.writeNow(line);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  /**
   * `write` mode with the file open and nothing queued: the line goes out with one write(2) now (about 3 µs
   * into the page cache) rather than after a turn of the event loop — each record is its own write, which
   * costs less than the promise, the setImmediate and the batch bookkeeping a shared write would save.
   */
  private writeNow(line: string): Promise<void> {
    try {
      writeAllSync(this.fd, Buffer.from(line));
    } catch (err) {
      return Promise.reject(this.writeFailed(err));
    }
    this.dirty = true;
    this.scheduleSync();
    return RESOLVED;
  }

  private async flushLoop(): Promise<void> {
    // Let the current tick's appends join the first batch.
    await new Promise<void>((r) => setImmediate(r));
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          const fh = await this.handle;
          const chunks = chunked(batch.map((b) => b.line));
          if (this.durability === 'fsync') {
            for (const c of chunks) await writeAllAsync(fh, c);
            await fh.datasync();
          } else {
            // write(2) into the page cache takes microseconds; on the loop it costs less than a thread-pool hop.
            for (const c of chunks) writeAllSync(this.fd >= 0 ? this.fd : fh.fd, c);
            this.dirty = true;
            this.scheduleSync();
          }
          for (const b of batch) b.resolve();
        } catch (err) {
          const e = this.writeFailed(err);
          if (this.durability === 'none') this.failure ??= e;
          for (const b of batch) b.reject(e);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private writeFailed(err: unknown): TollgateError {
    return new TollgateError('decision_log_write_failed', `Cannot append to ${this.path}: ${(err as Error).message}`, { path: this.path }, { cause: err });
  }

  /** `write`/`none`: one fdatasync at most {@link WRITE_SYNC_INTERVAL_MS} after the first unsynced write. */
  private scheduleSync(): void {
    if (this.syncTimer || this.syncing) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      void this.syncNow();
    }, WRITE_SYNC_INTERVAL_MS);
    this.syncTimer.unref();
  }

  private syncNow(): Promise<void> {
    if (this.syncing) return this.syncing;
    if (!this.dirty) return RESOLVED;
    this.dirty = false;
    this.syncing = this.handle
      .then((fh) => fh.datasync())
      .catch((err: Error) => {
        this.failure ??= new TollgateError('decision_log_write_failed', `Cannot fdatasync ${this.path}: ${err.message}`, { path: this.path }, { cause: err });
      })
      .finally(() => {
        this.syncing = undefined;
        if (this.dirty && !this.closed) this.scheduleSync();
      });
    return this.syncing;
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    while (this.syncing) await this.syncing;
    await this.syncNow();
    await (await this.handle).close();
    if (this.failure && this.durability === 'none') throw this.failure;
  }
}

const noop = (): void => undefined;
const RESOLVED = Promise.resolve();

/** Whole lines joined into buffers of at most {@link MAX_WRITE_BYTES} (a longer line is a buffer of its own). */
function chunked(lines: string[]): Buffer[] {
  if (lines.length === 1) return [Buffer.from(lines[0]!)];
  const out: Buffer[] = [];
  let parts: string[] = [];
  let size = 0;
  for (const l of lines) {
    const n = Buffer.byteLength(l);
    if (size > 0 && size + n > MAX_WRITE_BYTES) {
      out.push(Buffer.from(parts.join('')));
      parts = [];
      size = 0;
    }
    parts.push(l);
    size += n;
  }
  if (parts.length) out.push(Buffer.from(parts.join('')));
  return out;
}

function writeAllSync(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

async function writeAllAsync(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
}

/** Truncates `path` after its last newline when the file does not end with one (a write torn by a crash). */
export async function repairTornTail(path: string): Promise<number> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    if (size === 0) return 0;
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return 0;
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    let keep = 0;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await fh.read(chunk, 0, end - start, start);
      const nl = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) {
        keep = start + nl + 1;
        break;
      }
      end = start;
    }
    await fh.truncate(keep);
    await fh.datasync();
    return size - keep;
  } finally {
    await fh.close();
  }
}
