import { randomUUID } from 'node:crypto';
import type { CompiledPolicy } from '../../engine/compiled-policy.js';
import type { DecisionRecord } from '../../engine/decision-record.js';
import type { DecisionSink } from '../../engine/seams/decision-sink.js';
import { BatchUnsupportedError, type DeferredLine, type DeferredQueue, type DeferredSettlement, type DeferredStatus } from '../../engine/seams/deferred-queue.js';
import type { Reservation } from '../../engine/seams/budget-store.js';
import { TollgateError } from '../../engine/errors.js';
import { type BatchJobEvent, nextBatchJobState } from './batch-job-machine.js';
import type { BatchJob, BatchJobStore, BatchLine } from './batch-job-store.js';
import { batchLineRecord } from './batch-record.js';
import type { VendorBatchClient, VendorResultLine } from './vendor-batch-client.js';

export { BatchUnsupportedError };

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
  tags?: readonly string[];
  /** The rule that routed it (record `rule`; default `deferred`). */
  rule?: string;
  /** A budget hold to hand back when it settles (the engine's path). */
  reservation?: Reservation;
}

/** The batch-queue gauge (`TollgateMetrics.setBatchQueue` fits): jobs per state, set after every transition. */
export interface BatchQueueGauge {
  setBatchQueue(state: 'queued' | 'running' | 'done' | 'failed', jobs: number): void;
}

export interface DeferredBatcherOptions {
  policy: CompiledPolicy;
  clients: Partial<Record<'openai' | 'anthropic', VendorBatchClient>>;
  store: BatchJobStore;
  /** Where settled records go (the decision log). */
  sink: DecisionSink;
  /** A job is submitted when it holds this many lines (default 1,000) … */
  maxLines?: number;
  /** … or its first line has waited this long (default 60 s). */
  maxAgeMs?: number;
  /** Poll period of {@link DeferredBatcher.drain} and {@link DeferredBatcher.start} (default 5 s). */
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
  /** Fed with the jobs per state (queued; running = submitting…completed; done; failed = failed or expired). */
  gauge?: BatchQueueGauge;
}

/**
 * The batcher of deferrable work (docs/capacity.md, "Deferrable work"), and the engine's
 * {@link DeferredQueue}: deferred requests are added to a queued job per model (saved before `defer`
 * returns), jobs are submitted when full or old enough, polled, and settled: one decision record per line
 * at the batch price (`ok`), or an error record with no cost (a failed or expired line, a line the output
 * lacks). Results for unknown ids and malformed lines are the job's `issues`, never settled. Every
 * transition of a job goes through the xstate lifecycle ({@link nextBatchJobState}) and is saved, so a
 * process killed at any point and started again on the same store resumes: nothing is submitted twice,
 * nothing is lost.
 */
export class DeferredBatcher implements DeferredQueue {
  readonly specificationVersion = 'v1' as const;
  private readonly clock: () => number;
  private readonly waiters = new Map<string, ((s: DeferredSettlement) => void)[]>();
  private readonly listeners: ((s: DeferredSettlement) => Promise<void>)[] = [];
  /** Request id → job id, for lookups by request id. */
  private readonly jobOf = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;

  constructor(private readonly o: DeferredBatcherOptions) {
    this.clock = o.clock ?? Date.now;
    for (const j of o.store.all()) for (const l of j.lines) this.jobOf.set(l.customId, j.id);
    this.report();
  }

  /**
   * Queues requests (saved to the store before it returns). Throws {@link BatchUnsupportedError} before queuing any
   * when one cannot be batched, and `deferred_duplicate` when a request id is already queued here (ids are the vendors' `custom_id`).
   */
  defer(requests: DeferredRequest[]): void {
    const now = this.clock();
    const lines = requests.map((r) => this.lineOf(r, now));
    const ids = new Set<string>();
    for (const l of lines) {
      if (this.jobOf.has(l.customId) || ids.has(l.customId)) throw new TollgateError('deferred_duplicate', `Request id "${l.customId}" is already deferred`, { requestId: l.customId });
      ids.add(l.customId);
    }
    const max = this.o.maxLines ?? 1_000;
    const touched = new Map<string, BatchJob>();
    for (const line of lines) {
      let job = touched.get(line.model) ?? this.o.store.all().find((j) => j.state === 'queued' && j.model === line.model && j.lines.length < max);
      if (!job) job = { id: `job_${randomUUID()}`, vendor: this.vendorOf(line.model), model: line.model, state: 'queued', lines: [], createdAt: now };
      job.lines.push(line);
      this.jobOf.set(line.customId, job.id);
      if (job.lines.length >= max) {
        this.o.store.save(job);
        touched.delete(line.model);
      } else touched.set(line.model, job);
    }
    for (const job of touched.values()) this.o.store.save(job);
    this.report();
  }

  /** {@link DeferredQueue.enqueue}: {@link defer} for the engine's lines. */
  async enqueue(lines: readonly DeferredLine[]): Promise<void> {
    this.defer(lines.map((l) => ({ ...l })));
  }

  /** {@link DeferredQueue.unsupported}: not in the policy, not a vendor model, or no batch client for its vendor. */
  unsupported(model: string): string | undefined {
    try {
      this.vendorOf(model);
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** The settled record of a request (resolves when its job settles; at once if it already has). */
  result(requestId: string): Promise<DecisionRecord> {
    return this.settled(requestId).then((s) => s.record);
  }

  /** {@link DeferredQueue.status}. */
  status(requestId: string): DeferredStatus | undefined {
    const job = this.o.store.get(this.jobOf.get(requestId) ?? '');
    const line = job?.lines.find((l) => l.customId === requestId);
    if (!job || !line) return undefined;
    const done = job.results?.[requestId];
    if (done) return { state: 'settled', requestId, tenant: line.tenant, model: job.model, settlement: { requestId, tenant: line.tenant, ...done, ...(line.reservation && { reservation: line.reservation }) } };
    if (job.state === 'settled') return undefined; // settled by an earlier process: its record is in the decision log
    return { state: 'pending', requestId, tenant: line.tenant, model: job.model, deadline: line.deadline, job: job.state };
  }

  /** {@link DeferredQueue.settled}. */
  settled(requestId: string): Promise<DeferredSettlement> {
    const s = this.status(requestId);
    if (s?.state === 'settled') return Promise.resolve(s.settlement);
    if (!s && !this.jobOf.has(requestId)) return Promise.reject(new Error(`no deferred request ${requestId}`));
    return new Promise((resolve) => {
      const list = this.waiters.get(requestId) ?? [];
      list.push(resolve);
      this.waiters.set(requestId, list);
    });
  }

  /** {@link DeferredQueue.subscribe}. */
  subscribe(listener: (s: DeferredSettlement) => Promise<void>): void {
    this.listeners.push(listener);
  }

  /** Ticks every `pollMs` in the background (unref'd timer; one tick at a time; errors go to `onIssue`). */
  start(): this {
    this.timer ??= setInterval(() => void this.tickOnce(), this.o.pollMs ?? 5_000);
    this.timer.unref();
    return this;
  }

  /** Stops the background ticks and waits for the one running. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
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

  private async tickOnce(): Promise<void> {
    if (this.ticking) return;
    this.ticking = this.tick()
      .catch((err: unknown) => this.o.onIssue?.('*', `tick failed: ${(err as Error)?.message ?? String(err)}`))
      .finally(() => (this.ticking = undefined));
    await this.ticking;
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
    const factor = this.o.batchPriceFactor ?? 0.5;
    const now = this.clock();
    const results: NonNullable<BatchJob['results']> = { ...job.results };
    const settled: DeferredSettlement[] = [];
    for (const line of job.lines) {
      if (results[line.customId] || this.o.isSettled?.(line.customId)) continue;
      const r = byId.get(line.customId);
      const record = batchLineRecord(this.o.policy, job, line, r, factor, now);
      await this.o.sink.append(record);
      const out = { record, ...(r?.ok && r.text !== undefined && { text: r.text }), ...(r?.ok && r.finishReason && { finishReason: r.finishReason }) };
      results[line.customId] = out;
      settled.push({ requestId: line.customId, tenant: line.tenant, ...out, ...(line.reservation && { reservation: line.reservation }) });
    }
    for (const i of issues) this.o.onIssue?.(job.id, i);
    const ended = job.state as 'completed' | 'expired' | 'failed';
    this.move(job, { type: 'SETTLED' }, { ended, results, ...(issues.length ? { issues } : {}) });
    // Budgets and waiters once the job's results are saved: a restart re-settles nothing that was told.
    for (const s of settled) {
      for (const l of this.listeners) await l(s).catch(() => undefined);
      for (const w of this.waiters.get(s.requestId) ?? []) w(s);
      this.waiters.delete(s.requestId);
    }
  }

  private move(job: BatchJob, event: BatchJobEvent, patch: Partial<BatchJob> = {}): void {
    Object.assign(job, patch, { state: nextBatchJobState(job.state, event) });
    this.o.store.save(job);
    this.report();
  }

  /** Feeds the gauge: jobs per state. */
  private report(): void {
    if (!this.o.gauge) return;
    const n = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const j of this.o.store.all()) {
      if (j.state === 'queued') n.queued++;
      else if (j.state === 'settled') n[j.ended === 'completed' || j.ended === undefined ? 'done' : 'failed']++;
      else n.running++;
    }
    for (const [state, jobs] of Object.entries(n)) this.o.gauge.setBatchQueue(state as keyof typeof n, jobs);
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
      ...(r.tags?.length && { tags: [...r.tags] }),
      ...(r.rule && { rule: r.rule }),
      ...(r.reservation && { reservation: r.reservation }),
    };
  }
}
