import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import type { TraceRequest } from './schema.js';

export interface WriteTraceOptions {
  /** How to write `timestamp`: `iso` (default, readable) or `epoch` (integer ms). */
  timestamps?: 'iso' | 'epoch';
}

/** Summary of a written trace. */
export interface WriteTraceResult {
  requests: number;
  bytes: number;
}

/**
 * Serialises one request as a JSONL line (no trailing newline) with a stable key order:
 * id, timestamp, tenant, task, tags, promptTokens, outputTokens, maxOutputTokens, messages, labels.
 * Absent optional fields are omitted. `readTrace` parses the line back to an equal request.
 */
export function formatTraceLine(request: TraceRequest, options: WriteTraceOptions = {}): string {
  const timestamp = options.timestamps === 'epoch' ? request.timestamp : new Date(request.timestamp).toISOString();
  return JSON.stringify({
    id: request.id,
    timestamp,
    tenant: request.tenant,
    task: request.task,
    tags: request.tags,
    promptTokens: request.promptTokens,
    outputTokens: request.outputTokens,
    maxOutputTokens: request.maxOutputTokens,
    messages: request.messages,
    labels: request.labels,
  });
}

/**
 * Writes requests (any sync or async iterable, consumed lazily with back-pressure, so memory
 * stays flat) to `file` as Tollgate JSONL, creating parent folders. Resolves when the file is
 * flushed and closed.
 */
export async function writeTraceJsonl(
  file: string,
  requests: Iterable<TraceRequest> | AsyncIterable<TraceRequest>,
  options: WriteTraceOptions = {},
): Promise<WriteTraceResult> {
  await mkdir(dirname(file), { recursive: true });
  const out = createWriteStream(file, { encoding: 'utf8' });
  const failed = once(out, 'error').then(([error]) => Promise.reject(error as Error));
  failed.catch(() => undefined);
  let count = 0;
  try {
    for await (const request of requests) {
      count += 1;
      if (!out.write(`${formatTraceLine(request, options)}\n`)) await Promise.race([once(out, 'drain'), failed]);
    }
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
  } catch (error) {
    out.destroy();
    throw error;
  }
  return { requests: count, bytes: out.bytesWritten };
}
