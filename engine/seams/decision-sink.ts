import type { DecisionRecord } from '../decision-record.js';

/**
 * DecisionSink — where every settled decision is appended (the decision log).
 *
 * Contract: `append` is called exactly once per request, after settlement, with a validated record.
 * It resolves once the record is as durable as the sink promises (the JSONL file sink: written to the
 * OS, fsync'd in batches; see docs). Records are append-only; sinks never rewrite earlier ones.
 * `close` flushes and releases resources; appends after close throw.
 */
export interface DecisionSink {
  append(record: DecisionRecord): Promise<void>;
  close(): Promise<void>;
}
