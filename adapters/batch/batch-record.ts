import type { CompiledPolicy } from '../../engine/compiled-policy.js';
import { fullCost } from '../../engine/cost.js';
import type { DecisionRecord } from '../../engine/decision-record.js';
import type { BatchJob, BatchLine } from './batch-job-store.js';
import type { VendorResultLine } from './vendor-batch-client.js';

/** The error of a line that did not succeed: its own, or the job's (expired, failed), or missing from the output. */
export function lineError(job: BatchJob, r: VendorResultLine | undefined): { code: string; message: string } | undefined {
  if (r) return r.ok ? undefined : { code: r.code, message: r.message };
  if (job.state === 'expired') return { code: 'batch_expired', message: `batch ${job.vendorBatchId} expired before this line ran` };
  if (job.state === 'failed') return { code: 'batch_failed', message: `batch ${job.vendorBatchId ?? job.id} failed` };
  return { code: 'batch_line_missing', message: `batch ${job.vendorBatchId} has no result for this line` };
}

/**
 * The decision record of one settled line: `rule` the line's rule (default `deferred`), `outcome: ok` at the
 * model's price × `factor` (the batch price), or `outcome: error` with the line's error and no cost.
 */
export function batchLineRecord(policy: CompiledPolicy, job: BatchJob, line: BatchLine, r: VendorResultLine | undefined, factor: number, now: number): DecisionRecord {
  const spec = policy.byId.get(job.model)!;
  const p = spec.basis.price;
  const price = {
    ...p,
    inputPerM: p.inputPerM * factor, outputPerM: p.outputPerM * factor, cachedInputPerM: p.cachedInputPerM * factor, cacheWritePerM: p.cacheWritePerM * factor,
    tiers: p.tiers.map((t) => ({ ...t, inputPerM: t.inputPerM * factor, outputPerM: t.outputPerM * factor, cachedInputPerM: t.cachedInputPerM * factor })),
  };
  const error = lineError(job, r);
  const usage = r?.ok ? { inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens, cachedInputTokens: 0 } : { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  const cost = r?.ok ? fullCost({ ...spec.basis, price }, usage) : { vendor: 0, infra: 0, ops: 0, full: 0 };
  return {
    v: 1,
    time: new Date(line.deferredAt).toISOString(),
    requestId: line.customId,
    tenant: line.tenant,
    tags: [...(line.tags ?? [])],
    policy: { name: policy.name, version: policy.version },
    rule: line.rule ?? 'deferred',
    candidates: [],
    chosen: job.model,
    model: job.model,
    tier: spec.tier,
    fallbacks: [],
    attempts: 1,
    tokens: { input: usage.inputTokens, output: usage.outputTokens, cached: 0, source: 'vendor' },
    predictedCostMicros: line.reservation?.micros ?? 0,
    cost: { vendor: cost.vendor, infra: cost.infra, ops: cost.ops, full: cost.full },
    latencyMs: Math.max(0, now - line.deferredAt),
    outcome: error ? 'error' : 'ok',
    ...(error ? { error } : {}),
    actions: [`batch:${job.vendor}:${job.vendorBatchId ?? job.id}`],
  };
}
