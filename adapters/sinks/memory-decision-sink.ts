import type { DecisionRecord } from '../../engine/decision-record.js';
import type { DecisionSink } from '../../engine/seams/decision-sink.js';

/** Keeps decision records in memory (tests, simulations, the playground). Optionally bounded (oldest dropped). */
export class MemoryDecisionSink implements DecisionSink {
  readonly records: DecisionRecord[] = [];
  constructor(private readonly limit = Number.POSITIVE_INFINITY) {}
  async append(record: DecisionRecord): Promise<void> {
    this.records.push(record);
    if (this.records.length > this.limit) this.records.shift();
  }
  async close(): Promise<void> {}
}

/** Discards records (when only the in-process ledger matters, e.g. large simulations). */
export class NullDecisionSink implements DecisionSink {
  async append(): Promise<void> {}
  async close(): Promise<void> {}
}
