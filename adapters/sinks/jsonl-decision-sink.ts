import { mkdirSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TollgateError } from '../../engine/errors.js';
import type { DecisionRecord } from '../../engine/decision-record.js';
import type { DecisionSink } from '../../engine/seams/decision-sink.js';

/**
 * Appends decision records to a JSONL file. Group commit: records that arrive while a write is in
 * flight are written together in one `write` + `fdatasync`, and each `append` resolves only after the
 * batch holding its record is on disk. So an acknowledged record survives a crash (SIGKILL, power loss
 * on a disk that honours flushes); a crash mid-write can leave at most a torn last line, which readers skip.
 * With `durable: false` the sink skips fdatasync (records survive a process crash, not a power loss).
 * On open, a torn last line left by a crash (bytes after the last newline — never acknowledged, since
 * an append resolves only after its whole batch is written) is cut off, so appends after a restart never
 * follow a partial line and readers see a clean file.
 */
export class JsonlDecisionSink implements DecisionSink {
  readonly specificationVersion = 'v1' as const;
  private handle: Promise<FileHandle>;
  private queue: { line: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(readonly path: string, private readonly options: { durable?: boolean } = {}) {
    mkdirSync(dirname(path), { recursive: true });
    this.handle = repairTornTail(path).then(() => open(path, 'a'));
    this.handle.catch(() => undefined);
  }

  append(record: DecisionRecord): Promise<void> {
    if (this.closed) return Promise.reject(new TollgateError('sink_closed', `Decision log ${this.path} is closed`));
    const line = `${JSON.stringify(record)}\n`;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
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
          await fh.appendFile(batch.map((b) => b.line).join(''));
          if (this.options.durable !== false) await fh.datasync();
          for (const b of batch) b.resolve();
        } catch (err) {
          const e = new TollgateError('decision_log_write_failed', `Cannot append to ${this.path}: ${(err as Error).message}`, { path: this.path }, { cause: err });
          for (const b of batch) b.reject(e);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    await (await this.handle).close();
  }
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
