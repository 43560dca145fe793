import type { DecisionRecord } from '../../index.js';
import type { OpenTraceOptions, TraceRequest, TraceRowError } from '../trace/index.js';
import type { LoadedPolicy } from '../../index.js';
import type { ModelCapacityReport } from './capacity-windows.js';
import type { CapacityTrueUp } from '../../index.js';

/** Progress of one policy's run, reported every few thousand rows and once at the end. */
export interface SimulationProgress {
  /** The policy's report name. */
  policy: string;
  /** Trace rows simulated so far for this policy. */
  done: number;
  /** Trace rows expected (an estimate from the file's line count); absent for an iterable trace. */
  total?: number;
  /** Milliseconds since the simulation started. */
  elapsedMs: number;
}

/**
 * Options of {@link simulatePolicies}.
 * - `policies`: policy file paths or loaded policies; each gets its own engine (fresh in-memory budgets
 *   and rate limits) and the simulated adapter for every adapter kind.
 * - `trace`: a trace file (JSONL, BurstGPT CSV or Azure CSV; see docs/trace-format.md) or any async
 *   iterable of trace requests. It is read once; each row is fanned out to every policy.
 * - `seed`: the simulated adapter's seed (default 1). Same trace + policies + seed → same report.
 * - `outDir`: also write one decision log per policy, `<outDir>/<policy-name>.decisions.jsonl`
 *   (truncated first).
 * - `traceOptions.onError`: `fatal` (default) stops at the first malformed row; `skip` reports and goes on.
 * - `timelineBucketMs`: width of the timeline buckets in trace time (default one hour).
 * - `engine`: `auto` (default) replays each policy with the synchronous fast path when that is exact
 *   for it (rules classifier, simulated models without latency or failure injection) and with the
 *   full engine otherwise; `fast` requires the fast path; `full` always runs the engine. Same report
 *   either way.
 */
export interface SimulateOptions {
  policies: (string | LoadedPolicy)[];
  trace: string | AsyncIterable<TraceRequest>;
  seed?: number;
  onProgress?: (p: SimulationProgress) => void;
  signal?: AbortSignal;
  outDir?: string;
  /** How the trace is read; `tenant`/`task` set every request's tenant and task hint for a CSV trace (see openTrace). */
  traceOptions?: { onError?: 'skip' | 'fatal'; onIssue?: (error: TraceRowError) => void } & Pick<OpenTraceOptions, 'tenant' | 'task' | 'fromFileName'>;
  timelineBucketMs?: number;
  engine?: 'auto' | 'fast' | 'full';
  /**
   * Read a JSONL trace file on a worker thread, overlapping with the simulation (see `openTrace`'s
   * `worker`): `auto` (default) for files of 8 MiB or more. Same report either way.
   */
  traceWorker?: boolean | 'auto';
  /**
   * The queue model of self-hosted fleets (docs/capacity.md): `true` (default) queues requests when a
   * fleet's slots are full, serves them at the curve's rate for their batch size and autoscales;
   * `false` serves every request at once at the curve's best throughput on a fixed `min` fleet.
   * Provisioned GPU-hours are attributed either way.
   */
  queueModel?: boolean;
}

/** One model's share of a policy's traffic. Money in integer micro-dollars. */
export interface ModelShare {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  fullCostMicros: number;
  vendorCostMicros: number;
  /**
   * Infra cost. A self-hosted model (docs/capacity.md): its provisioned GPU-hours × price over the
   * trace's span, idle time included (records' provisional cost + the windows' true-ups + the idle line).
   */
  infraCostMicros: number;
  /** Self-hosted: the cost of provisioned GPU time no request used (spread into requests or a separate line per `idleCost`). */
  idleCostMicros: number;
  /** Self-hosted: busy ÷ provisioned GPU-hours, 0–1. */
  utilization?: number;
  /** Latency p50/p99 (ms): queue + service from the capacity model for a self-hosted model, else the records'. */
  latencyP50Ms?: number;
  latencyP99Ms?: number;
  /** Self-hosted: GPU-hours, utilization, idle, true-ups, GPU-hours and infra per 1M tokens, break-even rate. */
  capacity?: ModelCapacityReport;
  /** Fraction of the policy's requests answered by this model. */
  share: number;
}

export interface TierShare {
  requests: number;
  share: number;
  fullCostMicros: number;
}

export interface TenantSpend {
  requests: number;
  fullCostMicros: number;
  vendorCostMicros: number;
  /** The tenant's first tenant-wide dollar budget in the policy, when it has one. */
  budgetMicros?: number;
  /** Requests refused (budget, rate limit, or no eligible model). */
  refused: number;
}

/** One bucket of trace time. */
export interface TimelinePoint {
  /** Bucket start, epoch ms. */
  start: number;
  requests: number;
  fullCostMicros: number;
  vendorCostMicros: number;
  /** Input + output tokens per request in this bucket. */
  tokensPerRequest: number;
}

/** What one policy would have done with the trace, aggregated from its settled decision records. */
export interface PolicySimulation {
  name: string;
  version: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  fullCostMicros: number;
  vendorCostMicros: number;
  /** Records' infra cost plus the self-hosted windows' true-ups and idle lines (docs/capacity.md). */
  infraCostMicros: number;
  opsCostMicros: number;
  /** Cost of provisioned self-hosted GPU time no request used (included in `infraCostMicros`). */
  idleCostMicros: number;
  /**
   * What closing the self-hosted windows added on top of the records (Σ true-ups + idle lines; included
   * in `fullCostMicros` and `infraCostMicros`). The records, `byTenant` and `timeline` keep the
   * records' provisional cost: records are never rewritten.
   */
  capacityTrueUpMicros: number;
  /** Self-hosted windows closed (with `outDir`, also written to `<outDir>/<policy>.capacity.jsonl`). */
  capacityWindows?: CapacityTrueUp[];
  /** Full cost per 1M tokens (input + output). */
  fullPerMillionMicros: number;
  vendorPerMillionMicros: number;
  /** Keyed by the model that answered (`(none)` for requests refused before routing). */
  byModel: Record<string, ModelShare>;
  byTier: Record<string, TierShare>;
  byTenant: Record<string, TenantSpend>;
  refused: { budget: number; rateLimit: number; other: number };
  /** Requests that failed (every model of the chain failed, or the engine rejected the request). */
  errors: number;
  quality: { predictedMean: number; observedMean?: number };
  cacheHitRatio: number;
  timeline: TimelinePoint[];
  /** The first ~50 decision records, for a debug view. */
  sampleDecisions?: DecisionRecord[];
}

/** The answer of {@link simulatePolicies}: the trace read, and one result per policy in input order. */
export interface SimulationReport {
  trace: { file?: string; requests: number; skipped: number; issues: { line: number; reason: string }[] };
  policies: PolicySimulation[];
}
