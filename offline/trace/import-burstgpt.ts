import { importCsvRows, parseTokenCell } from './csv-rows.js';
import type { TraceReadOptions, TraceReadStats } from './read-options.js';
import type { TraceRequest, TraceTask } from './schema.js';
import { resolveStartOption } from './timestamps.js';

/** The BurstGPT CSV columns, as its README names them. */
export const BURSTGPT_COLUMNS = ['Timestamp', 'Model', 'Request tokens', 'Response tokens', 'Total tokens', 'Log Type'] as const;
type BurstGptColumn = (typeof BURSTGPT_COLUMNS)[number];

/** BurstGPT timestamps are seconds from the trace start; this is the default start instant. */
export const BURSTGPT_DEFAULT_START = '2023-01-01T00:00:00Z';

export interface BurstGptImportOptions extends TraceReadOptions {
  /** The instant `Timestamp = 0` stands for: epoch ms or ISO 8601. Default {@link BURSTGPT_DEFAULT_START}. */
  start?: number | string;
  /** Tenant for every request. Default: from the Log Type, e.g. `burstgpt-conversation`, `burstgpt-api`. */
  tenant?: string;
  /** Task hint for every request. Default none (BurstGPT does not say what a request was for). */
  task?: TraceTask;
}

/** Lower-case slug of a free-text cell: `Conversation log` → `conversation`, `GPT-4` → `gpt-4`. */
function slug(text: string): string {
  return text.toLowerCase().replace(/\blog\b/g, '').trim().replace(/[^a-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'unknown';
}

/** Maps one BurstGPT row to a request, or returns why it is malformed. */
function toRequest(cells: Record<BurstGptColumn, string>, line: number, startMs: number, tenant: string | undefined, task?: TraceTask): TraceRequest | string {
  const seconds = Number(cells.Timestamp);
  if (cells.Timestamp === '' || !Number.isFinite(seconds) || seconds < 0) {
    return `Timestamp "${cells.Timestamp}" is not a non-negative number of seconds from the trace start`;
  }
  const prompt = parseTokenCell(cells['Request tokens'], 'Request tokens');
  if (typeof prompt === 'string') return prompt;
  const output = parseTokenCell(cells['Response tokens'], 'Response tokens');
  if (typeof output === 'string') return output;
  const total = parseTokenCell(cells['Total tokens'], 'Total tokens');
  if (typeof total === 'string') return total;
  if (total !== prompt + output) return `Total tokens ${total} ≠ Request tokens + Response tokens (${prompt + output})`;
  const logType = slug(cells['Log Type']);
  const request: TraceRequest = {
    id: `burstgpt:${line}`,
    timestamp: startMs + Math.round(seconds * 1000),
    tenant: tenant ?? `burstgpt-${logType}`,
    promptTokens: prompt,
    outputTokens: output,
    tags: ['source:burstgpt', `model:${slug(cells.Model)}`, `log:${logType}`],
  };
  if (task !== undefined) request.task = task;
  return request;
}

/**
 * Streams a BurstGPT CSV (`Timestamp, Model, Request tokens, Response tokens, Total tokens,
 * Log Type`; Timestamp in seconds from the trace start) as trace requests with `promptTokens`
 * and `outputTokens`, in constant memory. Columns are matched by header name. A malformed row
 * (bad timestamp, negative or non-integer tokens, inconsistent total, wrong column count) is a
 * `TraceRowError` handled per `options.onError`. Throws `TraceNotFoundError`,
 * `TraceFormatError` (header lacks a column) and `TraceEmptyError` (no request; unless `allowEmpty`).
 */
export async function* importBurstGpt(file: string, options: BurstGptImportOptions = {}): AsyncGenerator<TraceRequest, TraceReadStats> {
  const startMs = resolveStartOption(options.start, BURSTGPT_DEFAULT_START);
  return yield* importCsvRows(file, BURSTGPT_COLUMNS, options, (cells, line) => toRequest(cells, line, startMs, options.tenant, options.task));
}
