import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { TollgateError } from '../../engine/errors.js';
import type { DecisionRecord } from '../../engine/decision-record.js';
import type { DecisionSink } from '../../engine/seams/decision-sink.js';

/** Bytes of JSONL gathered before one write. */
const CHUNK_CHARS = 256 * 1024;

/**
 * A fast, non-durable JSONL decision log for batch work (simulations, replays): records are joined
 * into ~256 KiB chunks and written through one stream; `append` resolves at once unless the stream
 * is backed up, in which case it waits for it to drain (so memory stays bounded). Nothing is
 * fsync'd: after a crash the file may miss its tail. `close` writes what is left and resolves once
 * the file is complete. A write error rejects the next `append` or `close` with
 * `decision_log_write_failed`. Same line format as {@link JsonlDecisionSink}.
 */
export class BufferedJsonlDecisionSink implements DecisionSink {
  readonly specificationVersion = 'v1' as const;
  private readonly stream: WriteStream;
  private pending: string[] = [];
  private pendingChars = 0;
  private failure: TollgateError | undefined;
  private closed = false;

  /** @param flags `w` (default) truncates an existing file; `a` appends. */
  constructor(readonly path: string, flags: 'w' | 'a' = 'w') {
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags });
    this.stream.on('error', (err) => {
      this.failure ??= new TollgateError('decision_log_write_failed', `Cannot write ${path}: ${err.message}`, { path }, { cause: err });
    });
  }

  async append(record: DecisionRecord): Promise<void> {
    if (this.closed) throw new TollgateError('sink_closed', `Decision log ${this.path} is closed`);
    if (this.failure) throw this.failure;
    const line = `${JSON.stringify(record)}\n`;
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars >= CHUNK_CHARS) await this.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pending.length) this.stream.write(this.take());
    this.stream.end();
    try {
      await once(this.stream, 'finish');
    } catch {
      // reported below
    }
    if (this.failure) throw this.failure;
  }

  private async flush(): Promise<void> {
    if (!this.stream.write(this.take())) await once(this.stream, 'drain');
  }

  private take(): string {
    const text = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    return text;
  }
}
