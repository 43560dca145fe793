import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTollgate } from '../../index.js';
import { GenaiPricesCatalog } from '../../index.js';
import { SimulatedAdapter } from '../../index.js';
import { BufferedJsonlDecisionSink } from '../../index.js';
import { NullDecisionSink } from '../../index.js';
import { MemoryBudgetStore } from '../../index.js';
import { loadPolicy } from '../../index.js';
import type { Policy } from '../../index.js';
import type { DecisionRecord } from '../../index.js';
import { TollgateError, ValidationError } from '../../index.js';
import { usdToMicros } from '../../index.js';
import type { DecisionSink } from '../../index.js';
import type { Tollgate } from '../../index.js';
import { openTrace, TraceEmptyError, type TraceReadStats, type TraceRequest, type TraceSource } from '../trace/index.js';
import { SimulationAccumulator } from './accumulator.js';
import { CapacityTracker } from './capacity-windows.js';
import { compilePolicy } from '../../index.js';
import { estimateTraceRows } from './count-rows.js';
import { FastReplay, fastReplayBlocker } from './fast-replay.js';
import { traceRowToRequest } from './trace-request.js';
import type { SimulateOptions, SimulationReport } from './types.js';

const HOUR_MS = 3_600_000;
/** Settled reservation ids are remembered this long (trace time); trace ids are unique, so briefly. */
const DONE_TTL_MS = 60_000;
const PROGRESS_EVERY_MS = 100;

interface Run {
  name: string;
  /** The full engine (when this policy is not fast-replayed). */
  engine?: Tollgate;
  /** The fast replay (when it is exact for this policy and allowed by `options.engine`). */
  fast?: FastReplay;
  /** The fast replay's decision log (with `outDir`). */
  sink?: DecisionSink;
  acc: SimulationAccumulator;
  /** Set by the observer when the current request produced a settled record. */
  observed: boolean;
}

/**
 * Streams a trace through every policy with the simulated adapter (no network) and aggregates each
 * policy's settled decision records into a {@link SimulationReport}.
 *
 * - The trace is read once; each row is mapped to a request ({@link traceRowToRequest}) and sent
 *   through `complete()` of every policy's engine in turn, one request at a time, in trace order.
 * - Each engine's clock is the current row's timestamp, so budget windows and rate limits behave as
 *   they would have during the traced period. Each policy has its own engine: fresh in-memory budgets,
 *   rate limits and circuit breakers.
 * - Memory is flat in the trace length: no per-request state is kept beyond the current row.
 * - Refusals and failures are logged records like any other; they are counted, not thrown.
 * - `options.engine` (default `auto`) picks how each policy runs: the synchronous fast replay
 *   (offline/simulation/fast-replay.ts, the same records as the engine) whenever it is exact for the
 *   policy, else the full engine; `fast` insists (a `ValidationError` when not exact), `full` never
 *   uses the fast replay.
 *
 * Throws `PolicyError` for an invalid policy, the trace readers' typed errors (`TraceNotFoundError`,
 * `TraceFormatError`, `TraceRowError` in `fatal` mode, `TraceEmptyError`), and `signal.reason` when
 * aborted (decision logs written so far are flushed and closed first).
 */
export async function simulatePolicies(options: SimulateOptions): Promise<SimulationReport> {
  const started = performance.now();
  if (options.policies.length === 0) throw new ValidationError('simulation', [{ path: 'policies', message: 'give at least one policy' }]);
  const loaded = await Promise.all(options.policies.map((p) => (typeof p === 'string' ? loadPolicy(p) : p)));
  options.signal?.throwIfAborted();
  const source: AsyncIterable<TraceRequest> & Partial<Pick<TraceSource, 'batches'>> =
    typeof options.trace === 'string'
      ? await openTrace(options.trace, { ...options.traceOptions, onError: options.traceOptions?.onError ?? 'fatal', worker: options.traceWorker ?? 'auto' })
      : options.trace;
  const file = typeof options.trace === 'string' ? options.trace : undefined;
  const total = file && options.onProgress ? await estimateTraceRows(file) : undefined;
  const bucketMs = options.timelineBucketMs ?? HOUR_MS;
  if (!(bucketMs > 0)) throw new ValidationError('simulation', [{ path: 'timelineBucketMs', message: 'must be > 0' }]);

  let now = 0;
  const clock = (): number => now;
  const catalog = new GenaiPricesCatalog();
  const names = uniqueNames(loaded.map((l) => l.policy.name));
  const mode = options.engine ?? 'auto';
  const runs: Run[] = loaded.map((policy, i) => {
    const name = names[i]!;
    const capacity = new CapacityTracker(compilePolicy(policy, catalog), { queueModel: options.queueModel ?? true });
    const acc = new SimulationAccumulator(bucketMs, tenantBudgets(policy.policy), capacity.active ? capacity : undefined);
    const logFile = options.outDir ? join(options.outDir, `${fileSafe(name)}.decisions.jsonl`) : undefined;
    const blocker = mode === 'full' ? 'full engine requested' : fastReplayBlocker(policy);
    if (blocker === undefined) {
      const fast = new FastReplay(policy, catalog, { seed: options.seed ?? 1, doneTtlMs: DONE_TTL_MS });
      return { name, fast, acc, observed: false, ...(logFile ? { sink: new BufferedJsonlDecisionSink(logFile) } : {}) };
    }
    if (mode === 'fast') throw new ValidationError('simulation', [{ path: 'engine', message: `fast replay is not exact for policy "${name}": ${blocker}` }]);
    const sim = new SimulatedAdapter(options.seed ?? 1);
    const run: Run = { name, acc, observed: false };
    run.engine = createTollgate({
      policy,
      adapters: { 'openai-compatible': sim, anthropic: sim, simulated: sim },
      decisionLog: logFile ? new BufferedJsonlDecisionSink(logFile) : new NullDecisionSink(),
      priceCatalog: catalog,
      budgetStore: new MemoryBudgetStore(policy.policy.tenants, { clock, doneTtlMs: DONE_TTL_MS }),
      clock,
      sleep: noWait, // trace time: a throttle's delay is not slept for real
      // A trace row is a request, not a client's retry: no replay of earlier answers by id, and no
      // memory of every answer (the fast replay keeps none either; budgets still dedupe reservation ids).
      idempotencyStore: false,
      seed: options.seed ?? 1,
      observers: [
        (record) => {
          acc.add(record, now);
          run.observed = true;
        },
      ],
    });
    return run;
  });
  const close = (r: Run): Promise<void> => (r.engine ? r.engine.close() : (r.sink?.close() ?? Promise.resolve()));

  const allFast = runs.every((r) => r.fast);
  let rows = 0;
  let lastProgress = 0;
  let closed = false;
  const progress = (): void => {
    const elapsedMs = performance.now() - started;
    for (const r of runs) options.onProgress?.({ policy: r.name, done: rows, total: total === undefined ? undefined : Math.max(total, rows), elapsedMs });
    lastProgress = elapsedMs;
  };
  const afterRow = (): void => {
    rows++;
    if (options.onProgress && (rows & 255) === 0 && performance.now() - started - lastProgress >= PROGRESS_EVERY_MS) progress();
  };
  /** One row through every policy; `sync` when every policy is fast-replayed without a log (nothing to await). */
  const sync = allFast && runs.every((r) => !r.sink);
  /** The fast replay of one row for one policy, counted in its report (undefined: rejected by the schema). */
  const replayFast = (run: Run, row: TraceRequest): DecisionRecord | undefined => {
    const record = run.fast!.replay(row, now);
    if (record === undefined) run.acc.rejected();
    else run.acc.add(record, now);
    return record;
  };
  const replayRow = (row: TraceRequest): void => {
    options.signal?.throwIfAborted();
    now = row.timestamp;
    for (const run of runs) replayFast(run, row);
    afterRow();
  };
  const runRow = async (row: TraceRequest): Promise<void> => {
    options.signal?.throwIfAborted();
    now = row.timestamp;
    const request = allFast ? undefined : traceRowToRequest(row);
    for (const run of runs) {
      if (run.fast) {
        const record = replayFast(run, row);
        if (record && run.sink) await run.sink.append(record);
      } else await completeOne(run, request!);
    }
    afterRow();
  };
  try {
    if (source.batches) {
      for await (const batch of source.batches()) {
        if (sync) for (const row of batch) replayRow(row);
        else for (const row of batch) await runRow(row);
      }
    } else {
      for await (const row of source) {
        if (sync) replayRow(row);
        else await runRow(row);
      }
    }
    if (rows === 0) throw new TraceEmptyError(file ?? '<trace>', 0);
    if (options.onProgress) progress();
    closed = true;
    await Promise.all(runs.map(close)); // a failed log write surfaces here
  } finally {
    if (!closed) await Promise.allSettled(runs.map(close));
  }
  const stats = traceStats(source);
  const policies = runs.map((r, i) => r.acc.result(r.name, loaded[i]!.version));
  // The self-hosted windows' true-ups: the ledger entries next to each decision log (docs/capacity.md).
  if (options.outDir) {
    for (const [i, p] of policies.entries()) {
      if (p.capacityWindows?.length) await writeFile(join(options.outDir, `${fileSafe(runs[i]!.name)}.capacity.jsonl`), p.capacityWindows.map((w) => `${JSON.stringify(w)}\n`).join(''));
    }
  }
  return {
    trace: {
      ...(file !== undefined ? { file } : {}),
      requests: stats?.requests ?? rows,
      skipped: stats?.skipped ?? 0,
      issues: (stats?.issues ?? []).map((e) => ({ line: e.line, reason: e.reason })),
    },
    policies,
  };
}

/** Runs one request through one engine; refusals and failures are logged records, counted by the observer. */
async function completeOne(run: Run, request: ReturnType<typeof traceRowToRequest>): Promise<void> {
  run.observed = false;
  try {
    await run.engine!.complete(request);
  } catch (err) {
    if (!(err instanceof TollgateError)) throw err;
    if (!run.observed) run.acc.rejected(); // rejected before a record existed (e.g. an invalid request)
  }
}

function traceStats(source: AsyncIterable<TraceRequest>): TraceReadStats | undefined {
  const stats = (source as { stats?: TraceReadStats }).stats;
  return stats && typeof stats.requests === 'number' ? stats : undefined;
}

/** Each tenant's first tenant-wide dollar budget, in micro-dollars. */
function tenantBudgets(policy: Policy): Map<string, number> {
  const out = new Map<string, number>();
  for (const [tenant, t] of Object.entries(policy.tenants)) {
    const b = t.budgets.find((x) => x.usd !== undefined && x.tag === undefined);
    if (b) out.set(tenant, usdToMicros(b.usd!));
  }
  return out;
}

/** Policy names made unique in input order: a repeated name gets ` (2)`, ` (3)`, … */
function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n} (${k})`;
  });
}

/** A policy name as a file name: anything but letters, digits, `.`, `_`, `-` becomes `_`. */
export function fileSafe(name: string): string {
  return name.replace(/[^\w.-]+/g, '_') || 'policy';
}

const noWait = (): Promise<void> => Promise.resolve();
