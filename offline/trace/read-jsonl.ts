import { toFieldIssues } from '../../errors.js';
import { TraceRowError } from './errors.js';
import { fastParseTraceRequest } from './fast-parse.js';
import { readLineBatches } from './read-lines.js';
import { assertNotEmpty, emptyTraceStats, handleRowError, type TraceReadOptions, type TraceReadStats } from './read-options.js';
import { TraceRequestSchema, type TraceRequest } from './schema.js';

/**
 * Parses one JSONL trace line. Returns the request (with `id` defaulted to `trace:<line>`) or a
 * {@link TraceRowError} naming the line and every failing field; never throws.
 */
export function parseTraceLine(text: string, line: number, file = '<trace>'): TraceRequest | TraceRowError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return new TraceRowError(file, line, `invalid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new TraceRowError(file, line, 'a trace line must be a JSON object');
  }
  const fast = fastParseTraceRequest(value as Record<string, unknown>);
  if (fast !== undefined) {
    fast.id ??= `trace:${line}`;
    return fast as TraceRequest;
  }
  const parsed = TraceRequestSchema.safeParse(value);
  if (!parsed.success) {
    const reason = toFieldIssues(parsed.error.issues)
      .map((i) => `${i.path || '(root)'}: ${i.message}`)
      .join('; ');
    return new TraceRowError(file, line, reason);
  }
  return { ...parsed.data, id: parsed.data.id ?? `trace:${line}` };
}

/**
 * Streams the requests of a Tollgate JSONL trace (see docs/trace-format.md), one line at a time,
 * in constant memory. Blank lines are ignored; a malformed line becomes a {@link TraceRowError}
 * handled per `options.onError`. Throws `TraceNotFoundError` for a missing file and
 * `TraceEmptyError` at the end when no request was yielded (unless `allowEmpty`).
 * Returns the final {@link TraceReadStats}.
 */
export async function* readTrace(file: string, options: TraceReadOptions = {}): AsyncGenerator<TraceRequest, TraceReadStats> {
  const stats = options.stats ?? emptyTraceStats();
  for await (const { first, texts } of readLineBatches(file)) {
    for (let i = 0; i < texts.length; i++) {
      const line = first + i;
      const text = texts[i]!;
      stats.lines = line;
      if (text.trim() === '') continue;
      const result = parseTraceLine(text, line, file);
      if (result instanceof TraceRowError) {
        handleRowError(result, options, stats);
        continue;
      }
      stats.requests += 1;
      yield result;
    }
  }
  assertNotEmpty(file, options, stats);
  return stats;
}
