import type { GenerateTraceOptions } from '../../offline/trace/index.js';

/**
 * The options that produce the embedded default trace, examples/traces/default.jsonl:
 * 5,000 requests from six tenants over about two days starting Monday 2024-06-03 UTC.
 * test/offline/trace/default-trace.test.ts checks the committed file still equals this output.
 */
export const DEFAULT_TRACE_OPTIONS: GenerateTraceOptions = {
  seed: 'tollgate-default-trace-v1',
  requests: 5_000,
  tenants: 6,
  start: '2024-06-03T00:00:00Z',
  ratePerSecond: 0.03,
  burstsPerDay: 6,
};

/** File name of the embedded default trace, beside this file. */
export const DEFAULT_TRACE_FILE = 'default.jsonl';
