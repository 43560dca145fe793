/**
 * Policy simulation: stream a request trace through several routing policies with the simulated
 * adapter and compare what each would have cost. Used by `tollgate simulate` and the playground.
 */
export { simulatePolicies, fileSafe } from './simulate-policies.js';
export { SimulationAccumulator, SAMPLE_DECISIONS } from './accumulator.js';
export { traceRowToRequest } from './trace-request.js';
export { FastReplay, fastReplayBlocker } from './fast-replay.js';
export { estimateTraceRows } from './count-rows.js';
export type {
  SimulateOptions,
  SimulationProgress,
  SimulationReport,
  PolicySimulation,
  ModelShare,
  TierShare,
  TenantSpend,
  TimelinePoint,
} from './types.js';
export { batchSizeTradeoff, type BatchTradeoff, type BatchTradeoffRow, type BatchTradeoffOptions } from './batch-tradeoff.js';
