import type { DecisionRecord } from '../../engine/decision-record.js';
import { TollgateError } from '../../engine/errors.js';
import type { DecisionSink } from '../../engine/seams/decision-sink.js';

/** Keeps decision records in memory (tests, simulations, the playground). Optionally bounded (oldest dropped). */
export class MemoryDecisionSink implements DecisionSink {
  readonly specificationVersion = 'v1' as const;
  readonly records: DecisionRecord[] = [];
  private closed = false;
  constructor(private readonly limit = Number.POSITIVE_INFINITY) {}
  async append(record: DecisionRecord): Promise<void> {
    if (this.closed) throw new TollgateError('sink_closed', 'Decision log (memory) is closed');
    this.records.push(record);
    if (this.records.length > this.limit) this.records.shift();
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Discards records (when only the in-process ledger matters, e.g. large simulations). */
export class NullDecisionSink implements DecisionSink {
  readonly specificationVersion = 'v1' as const;
  async append(): Promise<void> {}
  async close(): Promise<void> {}
}
