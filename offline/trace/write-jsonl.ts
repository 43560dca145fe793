import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import type { TraceRequest } from './schema.js';
import { formatIsoTimestamp } from './timestamps.js';

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
  const timestamp = options.timestamps === 'epoch' ? String(request.timestamp) : `"${formatIsoTimestamp(request.timestamp)}"`;
  let line = `{"id":${JSON.stringify(request.id)},"timestamp":${timestamp},"tenant":${JSON.stringify(request.tenant)}`;
  if (request.task !== undefined) line += `,"task":"${request.task}"`;
  line += `,"tags":${JSON.stringify(request.tags)}`;
  if (request.promptTokens !== undefined) line += `,"promptTokens":${request.promptTokens}`;
  if (request.outputTokens !== undefined) line += `,"outputTokens":${request.outputTokens}`;
  if (request.maxOutputTokens !== undefined) line += `,"maxOutputTokens":${request.maxOutputTokens}`;
  if (request.messages !== undefined) line += `,"messages":${JSON.stringify(request.messages.map(({ role, content }) => ({ role, content })))}`;
  if (request.labels !== undefined) line += `,"labels":${JSON.stringify(request.labels)}`;
  return `${line}}`;
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
