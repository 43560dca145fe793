import { basename } from 'node:path';
import { importCsvRows, parseTokenCell } from './csv-rows.js';
import type { TraceReadOptions, TraceReadStats } from './read-options.js';
import type { TraceRequest, TraceTask } from './schema.js';
import { parseAzureTimestamp } from './timestamps.js';

/** The Azure LLM inference trace columns (Azure/AzurePublicDataset, 2023). */
export const AZURE_COLUMNS = ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'] as const;
type AzureColumn = (typeof AZURE_COLUMNS)[number];

export interface AzureImportOptions extends TraceReadOptions {
  /** Tenant for every request. Default: `azure-code` / `azure-conv` from the file name, else `azure`. */
  tenant?: string;
  /** Task hint for every request. Default: `code` for the code trace, none otherwise. */
  task?: TraceTask;
  /**
   * Infer the trace kind (code/conv: tenant, task, tags) from the file name. Default true; `tollgate
   * simulate` passes false and takes tenant and task from its flags, so a renamed file costs the same.
   */
  fromFileName?: boolean;
}

/** Which of the two published Azure traces a file is, judged by its name. */
function azureKind(file: string): 'code' | 'conv' | undefined {
  const name = basename(file).toLowerCase();
  if (/(^|[_-])code([_.-]|$)/.test(name)) return 'code';
  if (/(^|[_-])conv([_.-]|$)/.test(name)) return 'conv';
  return undefined;
}

/** Maps one Azure row to a request, or returns why it is malformed. */
function toRequest(cells: Record<AzureColumn, string>, line: number, tenant: string, task: TraceTask | undefined, tags: string[]): TraceRequest | string {
  const timestamp = parseAzureTimestamp(cells.TIMESTAMP);
  if (timestamp === undefined) return `TIMESTAMP "${cells.TIMESTAMP}" is not a date-time like 2023-11-16 18:15:46.6805900`;
  const prompt = parseTokenCell(cells.ContextTokens, 'ContextTokens');
  if (typeof prompt === 'string') return prompt;
  const output = parseTokenCell(cells.GeneratedTokens, 'GeneratedTokens');
  if (typeof output === 'string') return output;
  const request: TraceRequest = { id: `azure:${line}`, timestamp, tenant, promptTokens: prompt, outputTokens: output, tags: [...tags] };
  if (task !== undefined) request.task = task;
  return request;
}

/**
 * Streams the Azure LLM inference trace CSV (`TIMESTAMP, ContextTokens, GeneratedTokens`;
 * TIMESTAMP like `2023-11-16 18:15:46.6805900`, read as UTC and truncated to ms) as trace
 * requests with `promptTokens` and `outputTokens`, in constant memory. Columns are matched by
 * header name. A malformed row (bad timestamp, negative or non-integer tokens, wrong column
 * count) is a `TraceRowError` handled per `options.onError`. Throws `TraceNotFoundError`,
 * `TraceFormatError` (header lacks a column) and `TraceEmptyError` (no request; unless `allowEmpty`).
 */
export async function* importAzureTrace(file: string, options: AzureImportOptions = {}): AsyncGenerator<TraceRequest, TraceReadStats> {
  const kind = options.fromFileName === false ? undefined : azureKind(file);
  const tenant = options.tenant ?? (kind ? `azure-${kind}` : 'azure');
  const task = options.task ?? (kind === 'code' ? 'code' : undefined);
  const tags = ['source:azure', ...(kind ? [`azure:${kind}`] : [])];
  return yield* importCsvRows(file, AZURE_COLUMNS, options, (cells, line) => toRequest(cells, line, tenant, task, tags));
}
