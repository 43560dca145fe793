import { TraceEmptyError, TraceRowError } from './errors.js';

/** What to do with a malformed row: `fatal` throws its {@link TraceRowError}; `skip` reports it and goes on. */
export type OnRowError = 'skip' | 'fatal';

/** Options every trace reader accepts. */
export interface TraceReadOptions {
  /** Default `fatal`: a malformed row stops the read. With `skip` it is reported and counted. */
  onError?: OnRowError;
  /** Called for every malformed row in `skip` mode (in `fatal` mode the error is thrown instead). */
  onIssue?: (error: TraceRowError) => void;
  /** Default false: a trace that yields no request throws {@link TraceEmptyError} when iteration ends. */
  allowEmpty?: boolean;
  /** A stats object the reader fills in place as it reads (also the generator's return value). */
  stats?: TraceReadStats;
}

/** Counters a reader keeps while it streams. */
export interface TraceReadStats {
  /** Requests yielded. */
  requests: number;
  /** Malformed rows skipped (`skip` mode only). */
  skipped: number;
  /** The first {@link MAX_KEPT_ISSUES} skipped rows' errors, in file order. */
  issues: TraceRowError[];
  /** Physical lines read, header and blank lines included. */
  lines: number;
}

/** How many skipped-row errors a stats object keeps (the count in `skipped` is always exact). */
export const MAX_KEPT_ISSUES = 100;

/** A fresh stats object with every counter at zero. */
export function emptyTraceStats(): TraceReadStats {
  return { requests: 0, skipped: 0, issues: [], lines: 0 };
}

/**
 * Applies the `onError` policy to one malformed row: throws it in `fatal` mode; otherwise counts
 * it, keeps it in `stats.issues` (up to the cap) and passes it to `onIssue`.
 */
export function handleRowError(error: TraceRowError, options: TraceReadOptions, stats: TraceReadStats): void {
  if ((options.onError ?? 'fatal') === 'fatal') throw error;
  stats.skipped += 1;
  if (stats.issues.length < MAX_KEPT_ISSUES) stats.issues.push(error);
  options.onIssue?.(error);
}

/** Throws {@link TraceEmptyError} when nothing was yielded, unless `allowEmpty` is set. */
export function assertNotEmpty(file: string, options: TraceReadOptions, stats: TraceReadStats): void {
  if (stats.requests === 0 && !options.allowEmpty) throw new TraceEmptyError(file, stats.skipped);
}
