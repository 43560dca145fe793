import { randomUUID } from 'node:crypto';
import type { BudgetStore, Reservation, ReserveRequest } from './seams/budget-store.js';
import type { RateLimiter, RateLimitRequest, RateLimitResult } from './seams/rate-limiter.js';
import { StoreUnavailableError } from './store-errors.js';

/** What the engine does when a shared store (Redis) cannot answer (policy `onStoreUnavailable`). */
export interface StoreOutagePolicy {
  /** `fail-closed` (default): refuse with a typed 503, nothing spent. `fail-open`: serve, up to the cap. */
  mode: 'fail-closed' | 'fail-open';
  /** fail-open only: most this process may spend (held + settled, µ$) while the store is unreachable; then it closes. */
  openSpendCapMicros: number;
  /** How often queued spend is retried while the store is unreachable. Default 1 s. */
  retryIntervalMs?: number;
}

/** A reservation the engine made: its own id, and whether it was granted while the store was down (fail-open). */
export interface EngineReservation extends Reservation {
  /** Set when the store was unreachable and the policy let the request through without a hold. */
  open?: boolean;
  /** The ReserveRequest (with the engine's id), kept so that spend the store could not take can be recorded later. */
  request?: ReserveRequest;
  /** What the settle or refund of this reservation did (set by EngineBudgets). */
  released?: ReleaseOutcome;
}

type QueuedOp =
  | { kind: 'settle'; reservation: Reservation; actual: { micros: number; tokens: number } }
  | { kind: 'refund'; reservation: Reservation }
  | { kind: 'record'; request: ReserveRequest };

/** What `settle`/`refund` did: applied in the store, queued until it answers again, or failed for another reason (logged, not retried). */
export type ReleaseOutcome = 'applied' | 'queued' | 'failed';

/** Spend waiting for the store: operations queued and the µ$ they will charge. */
export interface PendingSpend {
  operations: number;
  micros: number;
  /** µ$ this process spent while open (fail-open) since the store was last reachable. */
  openMicros: number;
}

/**
 * The reservation the engine asks the store for: the request's, under the engine's own id
 * `<requestId>/<unique>` — a fresh UUID, or `unique` from a caller that makes its ids unique by other
 * means (the simulator's fast replay, reserving on the memory store's synchronous twin, counts).
 */
export function engineReserveRequest(req: ReserveRequest, unique: string = randomUUID()): ReserveRequest {
  return { ...req, requestId: `${req.requestId}/${unique}` };
}

/**
 * The engine's view of the BudgetStore (wraps the bound one; built by the Tollgate constructor):
 * - **Reservation ids are the engine's**: every reserve gets `<requestId>/<uuid>`, so a client that
 *   reuses a request id (x-request-id) can never be handed an earlier reservation or settle into one.
 * - **Settle and refund never fail the request**: a store_unavailable error queues the operation (both
 *   are idempotent in the store) and it is applied, in order, when the store answers again — retried
 *   every `retryIntervalMs` and before every later operation. The record says `budget:settle_queued`.
 * - **Reserve when the store is down**: `fail-closed` rethrows the typed `store_unavailable`;
 *   `fail-open` grants a local, unchecked reservation while this process's open spend stays under the
 *   cap, and queues the actual spend to be recorded in the store (`recordSpend`) when it returns.
 */
export class EngineBudgets implements BudgetStore {
  private readonly queue: QueuedOp[] = [];
  private openHeld = 0;
  private openSpent = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;
  readonly usage?: BudgetStore['usage'];

  constructor(private readonly inner: BudgetStore, private readonly outage: StoreOutagePolicy) {
    if (inner.usage) this.usage = (tenant) => inner.usage!(tenant);
  }

  async reserve(req: ReserveRequest): Promise<EngineReservation> {
    const request = engineReserveRequest(req);
    if (this.queue.length) await this.flush();
    try {
      return { ...(await this.inner.reserve(request)), request };
    } catch (err) {
      if (!(err instanceof StoreUnavailableError) || this.outage.mode !== 'fail-open') throw err;
      if (this.openHeld + this.openSpent + req.micros > this.outage.openSpendCapMicros) {
        err.details.failOpen = 'cap_reached';
        err.details.openSpendCapMicros = this.outage.openSpendCapMicros;
        throw err;
      }
      this.openHeld += req.micros;
      return { id: request.requestId, tenant: req.tenant, micros: req.micros, tokens: req.tokens, usedFraction: 0, open: true, request };
    }
  }

  /** Settles; never throws. The outcome is left on `reservation.released`. */
  async settle(reservation: EngineReservation, actual: { micros: number; tokens: number }): Promise<void> {
    if (reservation.open) {
      this.openHeld -= reservation.micros;
      this.openSpent += actual.micros;
      this.enqueue({ kind: 'record', request: { ...reservation.request!, micros: actual.micros, tokens: actual.tokens } });
      await this.flush();
      reservation.released = this.queue.length ? 'queued' : 'applied';
      return;
    }
    reservation.released = await this.release({ kind: 'settle', reservation, actual });
  }

  /** Refunds; never throws. The outcome is left on `reservation.released`. */
  async refund(reservation: EngineReservation): Promise<void> {
    if (reservation.open) {
      this.openHeld -= reservation.micros;
      reservation.released = 'applied';
      return;
    }
    reservation.released = await this.release({ kind: 'refund', reservation });
  }

  /** Spend not yet applied in the store. */
  pending(): PendingSpend {
    let micros = 0;
    for (const op of this.queue) micros += op.kind === 'settle' ? op.actual.micros : op.kind === 'record' ? op.request.micros : 0;
    return { operations: this.queue.length, micros, openMicros: this.openSpent };
  }

  /** Applies queued operations in order until the queue is empty or the store fails again. */
  flush(): Promise<void> {
    return (this.flushing ??= this.drain().finally(() => (this.flushing = undefined)));
  }

  /** Stops the retry timer (queued spend stays queued; see `pending()`). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async release(op: QueuedOp): Promise<ReleaseOutcome> {
    if (this.queue.length) await this.flush();
    if (this.queue.length) {
      this.enqueue(this.retryable(op)); // keep order behind what is already waiting
      return 'queued';
    }
    try {
      await this.apply(op);
      return 'applied';
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) return 'failed'; // never fails the request: its record says so
      this.enqueue(this.retryable(op));
      return 'queued';
    }
  }

  /**
   * A settle that must wait becomes a `recordSpend` when the store has one: it settles the reservation if
   * the store still holds it and charges the spend in full if the reservation was lost (a Redis restart).
   */
  private retryable(op: QueuedOp): QueuedOp {
    if (op.kind !== 'settle' || !this.inner.recordSpend) return op;
    const r = op.reservation as EngineReservation;
    if (!r.request) return op;
    return { kind: 'record', request: { ...r.request, requestId: r.id, micros: op.actual.micros, tokens: op.actual.tokens } };
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      try {
        await this.apply(this.queue[0]!);
      } catch (err) {
        if (err instanceof StoreUnavailableError) return this.schedule();
        // anything else (a store bug, a validation error) would fail forever: drop it, keep the rest moving
      }
      this.queue.shift();
    }
    this.openSpent = 0; // the store has everything again: the fail-open cap starts afresh
  }

  private apply(op: QueuedOp): Promise<void> {
    if (op.kind === 'settle') return this.inner.settle(op.reservation, op.actual);
    if (op.kind === 'refund') return this.inner.refund(op.reservation);
    if (!this.inner.recordSpend) return Promise.resolve();
    return this.inner.recordSpend(op.request);
  }

  private enqueue(op: QueuedOp): void {
    this.queue.push(op);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || !this.queue.length) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.outage.retryIntervalMs ?? 1000);
    this.timer.unref?.();
  }
}

/**
 * The engine's view of the RateLimiter: under `fail-open`, a limiter that cannot answer lets the request
 * through (the budget cap still bounds spend); under `fail-closed` its store_unavailable refuses it.
 */
export function outageAwareLimiter(inner: RateLimiter, outage: StoreOutagePolicy): RateLimiter {
  if (outage.mode !== 'fail-open') return inner;
  return {
    take: async (req: RateLimitRequest): Promise<RateLimitResult> => {
      try {
        return await inner.take(req);
      } catch (err) {
        if (err instanceof StoreUnavailableError) return { allowed: true };
        throw err;
      }
    },
  };
}
