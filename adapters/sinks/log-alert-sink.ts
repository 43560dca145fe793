import type { Alert, AlertSink } from '../observers/alerts/alert-sink.js';
import { AlertDeduplicator } from '../observers/alerts/dedup.js';

export interface LogAlertSinkOptions {
  /** Where each alert's JSON line goes. Default: stderr. */
  write?: (line: string) => void;
  /** Deduplicate by key within this window (alert time) in the sink itself. Default: no sink-level dedup. */
  dedupWindowMs?: number;
}

/** Writes each alert as one JSON line (`{"alert":{…}}`) — the default sink. */
export class LogAlertSink implements AlertSink {
  readonly specificationVersion = 'v1' as const;
  private readonly write: (line: string) => void;
  private readonly dedup: AlertDeduplicator | undefined;

  constructor(options: LogAlertSinkOptions = {}) {
    this.write = options.write ?? ((line) => process.stderr.write(line + '\n'));
    this.dedup = options.dedupWindowMs === undefined ? undefined : new AlertDeduplicator(options.dedupWindowMs);
  }

  async send(alert: Alert): Promise<void> {
    if (this.dedup && !this.dedup.admit(alert)) return;
    this.write(JSON.stringify({ alert }));
  }
}
