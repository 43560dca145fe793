import type { DecisionRecord } from '../decision-record.js';
import type { SpecificationVersion } from './specification.js';

/**
 * Error codes a DecisionSink may throw (the engine surfaces them on the request: the answer exists but
 * its record is not durable, so the caller must not be told it is):
 * - `sink_closed` — `append` after `close`.
 * - `decision_log_write_failed` — the record could not be written (disk full, connection lost); carries `cause`.
 */
export type DecisionSinkErrorCode = 'sink_closed' | 'decision_log_write_failed';

/**
 * DecisionSink — where every settled decision is appended (the decision log).
 *
 * Records are append-only; sinks never rewrite earlier ones. A sink written by several processes at once
 * (one JSONL file per process, or PostgreSQL) must never interleave or lose records; a JSONL file must
 * not be shared by two processes. Contract suite: `decisionSinkContract`.
 */
export interface DecisionSink {
  /** The seam version this implementation was written against. */
  readonly specificationVersion?: SpecificationVersion;
  /**
   * Called exactly once per request, after settlement, with a validated record (and with feedback lines
   * from `Tollgate.feedback`, which sinks write opaquely). May be called concurrently; records from one
   * caller keep their order. Resolves once the record is as durable as the sink promises (the JSONL file
   * sink: written and fdatasync'd in group commits; see docs). Throws `sink_closed` or `decision_log_write_failed`.
   */
  append(record: DecisionRecord): Promise<void>;
  /** Called once on shutdown: flushes what was appended and releases resources. Idempotent. */
  close(): Promise<void>;
}
