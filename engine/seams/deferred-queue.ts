import type { DecisionRecord } from '../decision-record.js';
import { TollgateError } from '../errors.js';
import type { Reservation } from './budget-store.js';
import type { SpecificationVersion } from './specification.js';

/**
 * Error codes a DeferredQueue may throw:
 * - `batch_unsupported` — {@link BatchUnsupportedError} from `enqueue`: a line's model has no vendor batch API
 *   (not a vendor model, or no batch client for its vendor); nothing of the call was queued.
 * - `deferred_duplicate` — from `enqueue`: a request id already queued (the engine answers the queued request's
 *   handle instead of enqueueing an id it finds in `status`); nothing of the call was queued.
 * - anything else from `enqueue` (e.g. a failed write of the job store) means nothing of the call was queued
 *   either: the engine refunds the reservations and fails the request.
 */
export type DeferredQueueErrorCode = 'batch_unsupported' | 'deferred_duplicate';

/** A deferred request to a model without a batch API (code `batch_unsupported`). */
export class BatchUnsupportedError extends TollgateError {
  constructor(model: string, why: string) {
    super('batch_unsupported', `Model "${model}" cannot take deferred requests: ${why}`, { model });
  }
}

/** One deferred request, as the engine hands it to the queue after routing and reserving its budget. */
export interface DeferredLine {
  /** The request id: the vendor's `custom_id`, the decision record's `requestId`, the retrieval key. */
  requestId: string;
  tenant: string;
  /** The policy's model id (one the queue does not call {@link DeferredQueue.unsupported}). */
  model: string;
  /** Plain chat messages (the engine refuses tools, images and structured formats for deferred work). */
  messages: { role: string; content: string }[];
  maxOutputTokens: number;
  /** How long the request may wait (its `deferrable.within`), ms. */
  withinMs: number;
  /** The request's tags and the rule that routed it, kept on its decision record. */
  tags?: readonly string[];
  rule?: string;
  /**
   * The budget hold taken at submission. The queue stores it with the line and hands it back unchanged
   * in the line's {@link DeferredSettlement}, so a restarted process can still settle or refund it.
   */
  reservation?: Reservation;
}

/** A settled deferred request: its decision record (already appended to the decision log) and answer. */
export interface DeferredSettlement {
  requestId: string;
  tenant: string;
  /** `outcome: ok` at the batch price, or `outcome: error` with no cost and the line's `error` (expired, failed…). */
  record: DecisionRecord;
  /** The answer's text (ok lines whose vendor returned one). */
  text?: string;
  finishReason?: string;
  /** The reservation given with the line. */
  reservation?: Reservation;
}

/** Where a deferred request is: waiting (queued or in a vendor batch), or settled. */
export type DeferredStatus =
  | { state: 'pending'; requestId: string; tenant: string; model: string; /** Epoch ms it may settle by. */ deadline: number; /** Its batch job's lifecycle state. */ job: string }
  | { state: 'settled'; requestId: string; tenant: string; model: string; settlement: DeferredSettlement };

/**
 * DeferredQueue — deferrable work (`deferrable: { within }`, the gateway's `Tollgate-Deferrable` header,
 * a rule with `action: defer`) sent with others through a vendor's batch API at its batch price
 * (docs/capacity.md, "Deferrable work"). `DeferredBatcher` (adapters/batch/) implements it.
 *
 * The queue owns the lines from `enqueue` until they settle: it submits, polls, writes one decision record
 * per line to the decision log and then tells its subscriber, which settles or refunds the budget. It must
 * be durable (a line accepted by `enqueue` survives a restart and settles exactly once); one process owns
 * a queue's store.
 */
export interface DeferredQueue {
  /** The seam version this implementation was written against. */
  readonly specificationVersion?: SpecificationVersion;
  /**
   * Called after routing, for the chosen model and then its fallbacks: why `model` (a policy model id)
   * cannot be batched, or `undefined` when it can. Pure; never throws.
   */
  unsupported(model: string): string | undefined;
  /**
   * Called once per deferred request (after its budget is reserved): queues the lines, durably, before it
   * resolves. All or nothing: throws `batch_unsupported` (or a store error) with nothing queued.
   */
  enqueue(lines: readonly DeferredLine[]): Promise<void>;
  /** Where a request is, or `undefined` for an id it never queued (or has forgotten). */
  status(requestId: string): DeferredStatus | undefined;
  /** Resolves with the request's settlement when it settles (at once when it already has); rejects for an unknown id. */
  settled(requestId: string): Promise<DeferredSettlement>;
  /**
   * Called once by the engine when it is built: `listener` is called once per settled line, after its
   * record is in the decision log (also for lines queued by an earlier process). It must not throw.
   */
  subscribe(listener: (s: DeferredSettlement) => Promise<void>): void;
  /** Called on engine close: stops polling (jobs stay in the store for the next process). Idempotent. */
  close(): Promise<void>;
}
