import { randomUUID } from 'node:crypto';
import type { CompiledPolicy } from '../../engine/compiled-policy.js';
import { fullCost } from '../../engine/cost.js';
import type { DecisionRecord } from '../../engine/decision-record.js';
import type { DecisionSink } from '../../engine/seams/decision-sink.js';
import { TollgateError } from '../../policies/errors.js';
import { type BatchJobEvent, nextBatchJobState } from './batch-job-machine.js';
import type { BatchJob, BatchLine, FileBatchJobStore } from './batch-job-store.js';
import type { VendorBatchClient, VendorResultLine } from './vendor-batch-client.js';

/** A request that may wait: sent with others through the vendor's batch API at its batch price. */
export interface DeferredRequest {
  requestId: string;
  tenant: string;
  /** The policy's model id (a vendor model whose adapter has a batch API). */
  model: string;
  messages: { role: string; content: string }[];
  maxOutputTokens: number;
  /** How long it may wait (default 24 h). */
  withinMs?: number;
}

export interface DeferredBatcherOptions {
  policy: CompiledPolicy;
  clients: Partial<Record<'openai' | 'anthropic', VendorBatchClient>>;
  store: FileBatchJobStore;
  /** Where settled records go (the decision log). */
  sink: DecisionSink;
  /** A job is submitted when it holds this many lines (default 1,000) … */
  maxLines?: number;
  /** … or its first line has waited this long (default 60 s). */
  maxAgeMs?: number;
  /** Poll period of {@link DeferredBatcher.drain} (default 5 s). */
  pollMs?: number;
  /** Batch price as a fraction of the model's price (default 0.5, both vendors' batch discount). */
  batchPriceFactor?: number;
  clock?: () => number;
  /**
   * Whether a request already has a record in the sink: a job killed while settling re-settles only
   * the lines this says are missing (give it a reader of the decision log).
   */
  isSettled?: (requestId: string) => boolean;
  onIssue?: (jobId: string, issue: string) => void;
}

/** A deferred request to a model without a batch API (not a vendor model, or no client for its vendor). */
export class BatchUnsupportedError extends TollgateError {
  constructor(model: string, why: string) {
    super('batch_unsupported', `Model "${model}" cannot take deferred requests: ${why}`, { model });
  }
}

/**
 * The batcher of deferrable work (docs/capacity.md, "Deferrable work"): deferred requests are added to
 * a queued job per model (saved before `defer` returns), jobs are submitted when full or old
 * enough, polled, and settled: one decision record per line at the batch price (`ok`), or an error
 * record with no cost (a failed or expired line, a line the output lacks). Results for unknown ids
 * and malformed lines are the job's `issues`, never settled. Every transition of a job goes through
 * the xstate lifecycle ({@link nextBatchJobState}) and is saved, so a process killed at any point and
 * started again on the same store resumes: nothing is submitted twice, nothing is lost.
 */
export class DeferredBatcher {
  private readonly clock: () => number;
  private readonly waiters = new Map<string, ((r: DecisionRecord) => void)[]>();

  constructor(private readonly o: DeferredBatcherOptions) {
    this.clock = o.clock ?? Date.now;
  }

  /** Queues requests (saved to the store before it returns). Throws {@link BatchUnsupportedError} before queuing any when one cannot be batched. */
  defer(requests: DeferredRequest[]): void {
    const now = this.clock();
    const lines = requests.map((r) => this.lineOf(r, now));
    const touched = new Map<string, BatchJob>();
    for (const line of lines) {
      let job = touched.get(line.model) ?? this.o.store.all().find((j) => j.state === 'queued' && j.model === line.model && j.lines.length < (this.o.maxLines ?? 1_000));
      if (!job) job = { id: `job_${randomUUID()}`, vendor: this.vendorOf(line.model), model: line.model, state: 'queued', lines: [], createdAt: now };
      job.lines.push(line);
      if (job.lines.length >= (this.o.maxLines ?? 1_000)) {
        this.o.store.save(job);
        touched.delete(line.model);
      } else touched.set(line.model, job);
    }
    for (const job of touched.values()) this.o.store.save(job);
  }

  /** The settled record of a request (resolves when its job settles in this process). */
  result(requestId: string): Promise<DecisionRecord> {
    return new Promise((resolve) => {
      const list = this.waiters.get(requestId) ?? [];
      list.push(resolve);
      this.waiters.set(requestId, list);
    });
  }

  /** One pass over the jobs: submit full or old queued ones (all with `flush`), poll submitted ones, settle finished ones. */
  async tick(flush = false): Promise<void> {
    const now = this.clock();
    for (const job of this.o.store.all()) {
      if (job.state === 'queued' && (flush || job.lines.length >= (this.o.maxLines ?? 1_000) || now - job.createdAt >= (this.o.maxAgeMs ?? 60_000))) await this.submit(job);
      else if (job.state === 'submitting') await this.submit(job);
      if (job.state === 'in_progress') {
        const status = await this.client(job).poll(job.vendorBatchId!);
        if (status !== 'in_progress') this.move(job, { type: status === 'completed' ? 'COMPLETED' : status === 'expired' ? 'EXPIRED' : 'FAILED' });
      }
      if (job.state === 'completed' || job.state === 'expired' || job.state === 'failed') await this.settle(job);
    }
  }

  /** Jobs not settled yet. */
  pending(): BatchJob[] {
    return this.o.store.all().filter((j) => j.state !== 'settled');
  }

  /** Ticks (submitting everything queued) every `pollMs` until every job is settled. */
  async drain(): Promise<void> {
    while (this.pending().length > 0) {
      await this.tick(true);
      if (this.pending().length > 0) await new Promise((r) => setTimeout(r, this.o.pollMs ?? 5_000));
    }
  }

  private async submit(job: BatchJob): Promise<void> {
    const client = this.client(job);
    if (job.state === 'submitting') {
      // Killed after telling the vendor? Adopt the batch it has for this job rather than create another.
      const found = await client.find(job);
      if (found) return this.move(job, { type: 'SUBMITTED' }, { vendorBatchId: found });
    } else this.move(job, { type: 'SUBMIT' }, { submittingAt: this.clock() });
    const id = await client.submit(job);
    this.move(job, { type: 'SUBMITTED' }, { vendorBatchId: id });
  }

  private async settle(job: BatchJob): Promise<void> {
    const byId = new Map<string, VendorResultLine>();
    const issues: string[] = [];
    if (job.vendorBatchId && job.state !== 'failed') {
      const { lines, malformed } = await this.client(job).results(job.vendorBatchId);
      const ours = new Set(job.lines.map((l) => l.customId));
      for (const l of lines) {
        if (!ours.has(l.customId)) issues.push(`result for unknown id ${l.customId}`);
        else if (byId.has(l.customId)) issues.push(`second result for ${l.customId} (ignored)`);
        else byId.set(l.customId, l);
      }
      for (const m of malformed) issues.push(`malformed result line: ${m}`);
    }
    const spec = this.o.policy.byId.get(job.model)!;
    const factor = this.o.batchPriceFactor ?? 0.5;
    const p = spec.basis.price;
    const price = { ...p, inputPerM: p.inputPerM * factor, outputPerM: p.outputPerM * factor, cachedInputPerM: p.cachedInputPerM * factor, cacheWritePerM: p.cacheWritePerM * factor, tiers: p.tiers.map((t) => ({ ...t, inputPerM: t.inputPerM * factor, outputPerM: t.outputPerM * factor, cachedInputPerM: t.cachedInputPerM * factor })) };
    const now = this.clock();
    for (const line of job.lines) {
      if (this.o.isSettled?.(line.customId)) continue;
      const r = byId.get(line.customId);
      const fail = (code: string, message: string) => ({ code, message });
      const error = r
        ? r.ok
          ? undefined
          : fail(r.code, r.message)
        : job.state === 'expired'
          ? fail('batch_expired', `batch ${job.vendorBatchId} expired before this line ran`)
          : job.state === 'failed'
            ? fail('batch_failed', `batch ${job.vendorBatchId ?? job.id} failed`)
            : fail('batch_line_missing', `batch ${job.vendorBatchId} has no result for this line`);
      const usage = r?.ok ? { inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens, cachedInputTokens: 0 } : { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
      const cost = r?.ok ? fullCost({ ...spec.basis, price }, usage) : { vendor: 0, infra: 0, ops: 0, full: 0 };
      const record: DecisionRecord = {
        v: 1,
        time: new Date(line.deferredAt).toISOString(),
        requestId: line.customId,
        tenant: line.tenant,
        tags: [],
        policy: { name: this.o.policy.name, version: this.o.policy.version },
        rule: 'deferred',
        candidates: [],
        chosen: job.model,
        model: job.model,
        tier: spec.tier,
        fallbacks: [],
        attempts: 1,
        tokens: { input: usage.inputTokens, output: usage.outputTokens, cached: 0, source: 'vendor' },
        predictedCostMicros: 0,
        cost: { vendor: cost.vendor, infra: cost.infra, ops: cost.ops, full: cost.full },
        latencyMs: Math.max(0, now - line.deferredAt),
        outcome: error ? 'error' : 'ok',
        ...(error ? { error } : {}),
        actions: [`batch:${job.vendor}:${job.vendorBatchId ?? job.id}`],
      };
      await this.o.sink.append(record);
      for (const w of this.waiters.get(line.customId) ?? []) w(record);
      this.waiters.delete(line.customId);
    }
    for (const i of issues) this.o.onIssue?.(job.id, i);
    this.move(job, { type: 'SETTLED' }, issues.length ? { issues } : {});
  }

  private move(job: BatchJob, event: BatchJobEvent, patch: Partial<BatchJob> = {}): void {
    Object.assign(job, patch, { state: nextBatchJobState(job.state, event) });
    this.o.store.save(job);
  }

  private client(job: BatchJob): VendorBatchClient {
    return this.o.clients[job.vendor]!;
  }

  private vendorOf(model: string): 'openai' | 'anthropic' {
    const m = this.o.policy.byId.get(model);
    if (!m) throw new BatchUnsupportedError(model, 'not in the policy');
    if (m.tier !== 'vendor') throw new BatchUnsupportedError(model, `a ${m.tier} model has no vendor batch API`);
    const vendor = m.spec.adapter === 'anthropic' ? 'anthropic' : m.spec.adapter === 'openai-compatible' ? 'openai' : undefined;
    if (!vendor) throw new BatchUnsupportedError(model, `adapter ${m.spec.adapter} has no batch API`);
    if (!this.o.clients[vendor]) throw new BatchUnsupportedError(model, `no ${vendor} batch client configured`);
    return vendor;
  }

  private lineOf(r: DeferredRequest, now: number): BatchLine {
    this.vendorOf(r.model);
    const spec = this.o.policy.byId.get(r.model)!.spec;
    return {
      customId: r.requestId,
      tenant: r.tenant,
      model: r.model,
      upstreamModel: spec.upstreamModel ?? r.model,
      messages: r.messages,
      maxOutputTokens: r.maxOutputTokens,
      deferredAt: now,
      deadline: now + (r.withinMs ?? 86_400_000),
    };
  }
}
